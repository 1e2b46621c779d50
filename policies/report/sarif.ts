import { canonicalJson } from '../../constructs/synth/serialize';
import type { CheckReport, Finding } from './finding';
import { lineOfPointer } from './lines';

export interface SarifOptions {
  /** Prefix that turns a dist-relative path into a repository-relative one (e.g. `dist/`). */
  readonly uriPrefix?: string;
  /** Reads a dist-relative file, to give results a line; without it results carry no region. */
  readonly readFile?: (file: string) => string | undefined;
}

const LEVEL = { error: 'error', warning: 'warning', note: 'note' } as const;

/**
 * SARIF 2.1.0 for GitHub code scanning: one run, every rule in the driver, a result per finding
 * with its artifact location; construct path, JSON pointer and fix ride in `properties`.
 * Suppressed findings carry an `inSource` suppression with the declared reason.
 */
export function renderSarif(report: CheckReport, options: SarifOptions = {}): string {
  const prefix = options.uriPrefix ?? '';
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const texts = new Map<string, string | undefined>();
  const read = (file: string) => {
    if (!texts.has(file)) texts.set(file, options.readFile?.(file));
    return texts.get(file);
  };
  const result = (f: Finding) => {
    const text = f.file ? read(f.file) : undefined;
    const line = text !== undefined && f.file ? lineOfPointer(text, f.file, f.pointer) : undefined;
    return {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId),
      level: LEVEL[f.severity],
      message: { text: `${f.message}. Fix: ${f.fix}` },
      locations: f.file ? [{
        physicalLocation: {
          artifactLocation: { uri: `${prefix}${f.file}` },
          ...(line !== undefined ? { region: { startLine: line } } : {}),
        },
        ...(f.constructPath || f.resourcePath ? {
          logicalLocations: [{ fullyQualifiedName: f.resourcePath ?? f.constructPath, kind: 'resource' }],
        } : {}),
      }] : [],
      partialFingerprints: { 'tierkitFinding/v1': `${f.ruleId}:${f.file ?? ''}:${f.pointer ?? ''}:${f.env ?? ''}` },
      properties: {
        constructPath: f.constructPath, resourcePath: f.resourcePath, jsonPointer: f.pointer, env: f.env, fix: f.fix,
      },
      ...(f.suppressed ? { suppressions: [{ kind: 'inSource', status: 'accepted', justification: f.suppressed.reason }] } : {}),
    };
  };
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'tierkit',
          version: report.tool.version,
          rules: report.rules.map((r) => ({
            id: r.id,
            name: r.name,
            shortDescription: { text: r.title },
            fullDescription: { text: r.explanation },
            help: { text: `${r.explanation}\n\nFix: ${r.fix}`, markdown: `${r.explanation}\n\n**Fix:** ${r.fix}` },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { suppressible: r.suppressible },
          })),
        },
      },
      results: report.findings.map(result),
      properties: { now: report.now, exceptions: report.exceptions },
    }],
  };
  return canonicalJson(log);
}

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../contract/order';
import type { CheckReport, Finding } from './finding';
import { lineOfPointer } from './lines';

/*
 * SARIF 2.1.0 built as plain objects, not through a builder library: node-sarif-builder was
 * declared and never used, and it would be one more runtime dependency in every estate repo for
 * what is a few object literals. The guarantee is the test: every report validates against the
 * official schema (test/fixtures/sarif-schema-2.1.0.json, test/policies/reports.test.ts), with
 * keys sorted and no timestamps, so the file is byte-identical on every run.
 */

export interface SarifOptions {
  /** Prefix that turns a dist-relative path into a repository-relative one (e.g. `dist/`). */
  readonly uriPrefix?: string;
  /** Reads a dist-relative file, to give results a line; without it results carry no region. */
  readonly readFile?: (file: string) => string | undefined;
}

const LEVEL = { error: 'error', warning: 'warning', note: 'note' } as const;

/** Where a finding about the estate as a whole points: GitHub rejects a result without a location. */
const ESTATE_FILE = 'manifest.json';

/**
 * The result's identity for code scanning: rule, file, pointer, env and a hash of the message, so two
 * findings of one rule on one resource stay two alerts. The evaluation time is left out of the hash
 * (TK015 names it), so the same finding keeps its identity from one run to the next.
 */
export function fingerprint(f: Finding, now: string): string {
  const message = f.message.split(now).join('');
  const hash = createHash('sha256').update(`${f.pointer ?? ''}\u0000${message}`).digest('hex').slice(0, 16);
  return `${f.ruleId}:${f.file ?? ''}:${f.pointer ?? ''}:${f.env ?? ''}:${hash}`;
}

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
      // Always one location: a finding without a file is about the estate, whose record is manifest.json.
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: `${prefix}${f.file ?? ESTATE_FILE}` },
          ...(line !== undefined ? { region: { startLine: line } } : {}),
        },
        ...(f.constructPath || f.resourcePath ? {
          logicalLocations: [{ fullyQualifiedName: f.resourcePath ?? f.constructPath, kind: 'resource' }],
        } : {}),
      }],
      partialFingerprints: { 'tierkitFinding/v2': fingerprint(f, report.now) },
      properties: {
        constructPath: f.constructPath, resourcePath: f.resourcePath, jsonPointer: f.pointer, env: f.env, fix: f.fix,
        ...(f.file ? {} : { estateLevel: true }),
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

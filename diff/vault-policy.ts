import { compareStrings } from '../constructs/synth/serialize';

/**
 * Vault policy HCL, read just enough to say which path blocks a change adds, removes or widens.
 * A block's body is kept verbatim (normalized whitespace) so any parameter change is visible.
 */
export interface PolicyBlock {
  readonly path: string;
  readonly capabilities: readonly string[];
  readonly body: string;
}

function stripComments(hcl: string): string {
  return hcl.split('\n').map((line) => line.replace(/^\s*(#|\/\/).*$/, '')).join('\n');
}

export function parsePolicy(hcl: string): PolicyBlock[] {
  const text = stripComments(hcl);
  const blocks: PolicyBlock[] = [];
  const head = /path\s+"((?:[^"\\]|\\.)*)"\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = head.exec(text))) {
    let depth = 1;
    let i = head.lastIndex;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    const body = text.slice(head.lastIndex, i - 1).replace(/\s+/g, ' ').trim();
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(body);
    const capabilities = caps ? [...caps[1].matchAll(/"([^"]*)"/g)].map((c) => c[1]) : [];
    blocks.push({ path: m[1], capabilities, body });
    head.lastIndex = i;
  }
  return blocks.sort((a, b) => compareStrings(a.path, b.path));
}

function describe(b: PolicyBlock): string {
  return `path "${b.path}" [${b.capabilities.join(', ')}]`;
}

/** Lines like `+ path "kvv2/data/x" [read]`, `- path …`, `~ path … [read] → [read, update]`. */
export function diffPolicies(before: string | undefined, after: string | undefined): string[] {
  const b = new Map(parsePolicy(before ?? '').map((x) => [x.path, x]));
  const a = new Map(parsePolicy(after ?? '').map((x) => [x.path, x]));
  const lines: string[] = [];
  for (const path of [...new Set([...b.keys(), ...a.keys()])].sort(compareStrings)) {
    const was = b.get(path);
    const now = a.get(path);
    if (!was && now) lines.push(`+ ${describe(now)}`);
    else if (was && !now) lines.push(`- ${describe(was)}`);
    else if (was && now && was.body !== now.body) {
      const capsSame = was.capabilities.join() === now.capabilities.join();
      lines.push(capsSame
        ? `~ path "${path}" { ${was.body} } → { ${now.body} }`
        : `~ path "${path}" [${was.capabilities.join(', ')}] → [${now.capabilities.join(', ')}]`);
    }
  }
  return lines;
}

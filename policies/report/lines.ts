/**
 * Best-effort 1-based line of a JSON pointer in canonical JSON (keys are searched in order, each
 * after the previous one), or of a document in a YAML stream (`/3` = fourth document). Used to
 * give code-scanning annotations a line; the pointer itself stays in the report.
 */
export function lineOfPointer(text: string, file: string, pointer: string | undefined): number | undefined {
  if (pointer === undefined) return undefined;
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let offset = 0;
  if (/\.ya?ml$/.test(file)) {
    const doc = Number(segments[0]);
    if (!Number.isInteger(doc)) return undefined;
    for (let i = 0; i < doc; i++) {
      const next = text.indexOf('\n---', offset);
      if (next < 0) return undefined;
      offset = next + 4;
    }
    return lineAt(text, offset) + (doc > 0 ? 1 : 0);
  }
  for (const seg of segments) {
    if (/^\d+$/.test(seg)) continue; // array index: the key's line is close enough
    const at = text.indexOf(`${JSON.stringify(seg)}:`, offset);
    if (at < 0) break;
    offset = at;
  }
  return lineAt(text, offset);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

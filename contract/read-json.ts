/**
 * Whether valid JSON `text` repeats no key in any object, given `value = JSON.parse(text)`, without
 * writing the value back out (a second copy of every dist/ file, ~0.15 s and as much garbage at the
 * reference estate). Each key in the text makes or overwrites exactly one property of its own object,
 * so the text's key count equals the parsed tree's own-property count exactly when no object repeats
 * a key. `false` says only "look closer" (`repeatedJsonKey` names the key); `true` is a proof.
 */
export function holdsNoRepeatedKey(text: string, value: unknown): boolean {
  return keyTokens(text) === ownKeys(value);
}

/** Object keys in valid JSON text: strings followed (after JSON whitespace) by `:`. */
function keyTokens(text: string): number {
  let n = 0;
  let i = 0;
  for (;;) {
    // Between two strings of valid JSON there is no quote: indexOf lands on the next string's start.
    const start = text.indexOf('"', i);
    if (start < 0) return n;
    let end = text.indexOf('"', start + 1);
    for (;;) {
      if (end < 0) return -1; // not valid JSON after all: never a proof
      let b = end - 1;
      while (text.charCodeAt(b) === 92 /* \ */) b--;
      if ((end - 1 - b) % 2 === 0) break; // an even run of backslashes escapes none of this quote
      end = text.indexOf('"', end + 1);
    }
    let k = end + 1;
    let c = text.charCodeAt(k);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++k);
    if (c === 58 /* : */) n++;
    i = k;
  }
}

/** Own properties of every object in a parsed JSON tree (each object is reached once: JSON is a tree). */
function ownKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) n += ownKeys(value[i]);
    return n;
  }
  // Object.keys: JSON.parse makes `__proto__` an own data property, counted and read like any other.
  const keys = Object.keys(value);
  n += keys.length;
  for (let i = 0; i < keys.length; i++) n += ownKeys((value as Record<string, unknown>)[keys[i]]);
  return n;
}

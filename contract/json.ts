/**
 * The first key that an object of valid JSON `text` repeats, if any. `JSON.parse` keeps the last
 * value of a repeated key; Terraform's JSON syntax (HCL) keeps every definition — two `"resource"`
 * properties are two sets of blocks — so a repeated key would hide the earlier definition from the rules.
 */
export function repeatedJsonKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') { stack.push(new Set()); expectKey = true; }
    else if (c === '[') { stack.push(null); expectKey = false; }
    else if (c === '}' || c === ']') { stack.pop(); expectKey = false; }
    else if (c === ',') expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
  }
  return undefined;
}

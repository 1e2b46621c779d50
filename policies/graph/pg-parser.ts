/**
 * libpg-query's parser without the rest of the package. Its entry point (`wasm/index.cjs`) also
 * loads `proto.js` (5.4 MB of protobufjs, ~0.2 s of every `check`), which only `deparse` uses; the
 * rules only parse. This calls the same WASM module's `_wasm_parse_query` exactly as the package's
 * `parseSync` does (libpg-query 17.3.2, pinned exactly in package.json: `wasm/index.cjs`), so a
 * text gives the same tree or the same error; test/policies/pg-parser.test.ts holds the two equal
 * on a corpus of statements, invalid ones included.
 */

interface PgQueryWasm {
  _malloc(n: number): number;
  _free(ptr: number): void;
  _wasm_parse_query(ptr: number): number;
  _wasm_free_string(ptr: number): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, max: number): void;
  UTF8ToString(ptr: number): string;
}

let wasm: PgQueryWasm | undefined;
let loading: Promise<void> | undefined;

/** Instantiates the WASM module once (the package does it when its entry point is required). */
export function loadPgParser(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loading ??= (require('libpg-query/wasm/libpg-query.js') as () => Promise<PgQueryWasm>)().then((m) => { wasm = m; });
  return loading;
}

/** libpg-query's `parseSync`: the parse tree as JSON, or the parser's error as thrown by the package. */
export function pgParseSync(query: string): { stmts?: { stmt: Record<string, any> }[] } {
  if (!wasm) throw new Error('WASM module not initialized. Call loadModule() first.');
  const m = wasm;
  const len = m.lengthBytesUTF8(query) + 1;
  const queryPtr = m._malloc(len);
  let resultPtr = 0;
  try {
    m.stringToUTF8(query, queryPtr, len);
    resultPtr = m._wasm_parse_query(queryPtr);
    const resultStr = m.UTF8ToString(resultPtr);
    // The package's own test for an error answer, word for word.
    if (resultStr.startsWith('syntax error') || resultStr.startsWith('deparse error') || resultStr.includes('ERROR')) {
      throw new Error(resultStr);
    }
    return JSON.parse(resultStr);
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_string(resultPtr);
  }
}

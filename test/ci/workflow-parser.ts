/**
 * `@actions/workflow-parser` is ESM-only and imports its JSON schema without an import attribute,
 * which Node's own loader refuses; tsx's loader (already a dependency) accepts it. Registering it
 * for this one import keeps the real parser in-process.
 */
type Parser = typeof import('@actions/workflow-parser');

let loaded: Promise<Parser> | undefined;

export function workflowParser(): Promise<Parser> {
  loaded ??= (async () => {
    // A variable specifier: tsx's ESM API has no CommonJS typings for tsc's node resolution.
    const api = 'tsx/esm/api';
    const { register } = (await import(api)) as { register: () => () => void };
    register();
    return (await import('@actions/workflow-parser')) as Parser;
  })();
  return loaded;
}

/** Parse and convert a workflow; returns every error message (empty: valid). */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const wp = await workflowParser();
  const parsed = wp.parseWorkflow({ name, content }, new wp.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !parsed.value) return errors.length > 0 ? errors : [`${name}: no workflow`];
  const template = await wp.convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((e) => e.Message);
}

/**
 * An env's feature flags as an OpenFeature flagd definition (one boolean flag per declared flag,
 * `on`/`off` variants, the declared value the default). What the demo tier's flags ConfigMap holds
 * and what its hourly reset writes back (constructs/lifecycle/jobs.ts); TK127 compares both with
 * the manifest's flags through this one function. Keys sorted: the text is byte-stable.
 */
export const FLAGS_FILE_KEY = 'flags.flagd.json';

export function flagdDefinition(flags: Readonly<Record<string, boolean>>): string {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(flags).sort()) {
    out[name] = { defaultVariant: flags[name] ? 'on' : 'off', state: 'ENABLED', variants: { off: false, on: true } };
  }
  return `${JSON.stringify({ flags: out }, null, 2)}\n`;
}

/**
 * The JSON patch the reset applies to the flags ConfigMap: `add` on /data replaces the whole map
 * (a merge patch would keep keys someone added), leaving exactly the declared definition.
 */
export function flagsResetPatch(flags: Readonly<Record<string, boolean>>): string {
  return JSON.stringify([{ op: 'add', path: '/data', value: { [FLAGS_FILE_KEY]: flagdDefinition(flags) } }]);
}

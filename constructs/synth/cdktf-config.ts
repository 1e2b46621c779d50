import { Construct } from 'constructs';
import { TerraformVariable } from '../cdktf';
import type { TfValue, VariableDescription } from './app-environment-stack';

/*
 * From the description's Terraform names (app-environment-stack.ts) to cdktf's generated classes.
 */

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

function camelKeys(value: TfValue): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelKeys(v as TfValue)]));
  }
  return value;
}

/**
 * Terraform's snake_case keys as a generated class's camelCase config, nested blocks included.
 * A generated class silently ignores a config key it does not have, so a key it has no property
 * for is a bug in the description: refused here (tierkit's own code, never user input) rather
 * than dropped from the rendered stack. `lifecycle` and `dependsOn` are TerraformResource's.
 */
export function cdktfConfig(Class: { readonly prototype: object; readonly name: string }, what: string, attributes: { readonly [name: string]: TfValue }): Record<string, unknown> {
  const config = camelKeys(attributes as TfValue) as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!(key in Class.prototype) && key !== 'lifecycle') {
      throw new Error(`app-environment-stack.ts: ${what} has attribute ${key}, which cdktf's ${Class.name} does not know; use the provider's attribute name`);
    }
  }
  return config;
}

/** Sensitive, ephemeral string variables. cdktf 0.21's TerraformVariable has no `ephemeral` option, hence the override. */
export function addVariables(scope: Construct, variables: readonly VariableDescription[]): void {
  for (const v of variables) {
    const variable = new TerraformVariable(scope, v.id, { type: 'string', sensitive: true, description: v.description });
    variable.addOverride('ephemeral', true);
  }
}

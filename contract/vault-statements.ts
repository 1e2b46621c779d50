/**
 * The root rotation tierkit writes on every Vault database connection: the writer
 * (constructs/statements.ts re-exports it) and TK045, which accepts only this or Vault's default.
 */
export const ROOT_ROTATION_STATEMENTS: readonly string[] = [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`];

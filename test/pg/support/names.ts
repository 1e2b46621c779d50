// The one place where names from dist/ become names on the shared test servers. Every role
// and database an artifact declares gets the test file's namespace prefix, so files (and the
// superuser / RDS-like runs) can apply the same estate side by side on one server; names that
// belong to PostgreSQL itself (PUBLIC, the predefined pg_* roles) stay as they are.

/** Names PostgreSQL owns: never prefixed. */
function isBuiltIn(name: string): boolean {
  return name.toLowerCase() === 'public' || name.startsWith('pg_');
}

export class NameMap {
  private readonly aliases = new Map<string, string>();

  constructor(readonly prefix: string) {}

  /**
   * A name the artifacts use for a role the test creates itself under another name: the admin
   * role a managed server's provider logs in as is the test's own provider user.
   */
  alias(name: string, serverName: string): void {
    this.aliases.set(name, serverName);
  }

  /** Server-side name of an artifact's role or database name. */
  map(name: string): string {
    return this.aliases.get(name) ?? (isBuiltIn(name) ? name : `${this.prefix}${name}`);
  }

  /** The artifact's name of a server-side name (for messages); undefined if not ours. */
  unmap(name: string): string | undefined {
    if (isBuiltIn(name)) return name;
    for (const [artifact, server] of this.aliases) if (server === name) return artifact;
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : undefined;
  }

  /**
   * Map every double-quoted identifier of SQL text (Vault statements name roles that way),
   * except Vault's template placeholders like "{{name}}". Doubled quotes inside stay intact.
   */
  mapQuotedIdentifiers(sql: string): string {
    return sql.replace(/"((?:[^"]|"")+)"/g, (whole, inner: string) => {
      if (/^\{\{\w+\}\}$/.test(inner)) return whole;
      const name = inner.replace(/""/g, '"');
      return `"${this.map(name).replace(/"/g, '""')}"`;
    });
  }
}

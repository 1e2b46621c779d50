import type { ManifestServer } from './manifest';

/**
 * A host name as DNS and libpq compare it: case-insensitive, a trailing root dot the same name
 * (`PG-Prod.example.` is `pg-prod.example`), an IPv6 literal with or without brackets. Two
 * spellings of prod's server are prod's server; an address tierkit cannot map stays unknown.
 */
export function hostKey(host: string): string {
  return host.trim().toLowerCase().replace(/\.+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** The manifest server at `host` (any spelling of its name) and `port`; `port` undefined matches any port. */
export function serverAt<S extends Pick<ManifestServer, 'host' | 'port'>>(servers: Iterable<S>, host: string | undefined, port?: number): S | undefined {
  if (host === undefined) return undefined;
  const key = hostKey(host);
  for (const s of servers) if (hostKey(s.host) === key && (port === undefined || s.port === port)) return s;
  return undefined;
}

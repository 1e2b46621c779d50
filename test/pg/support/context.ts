// What the pg globalSetup (test/pg/setup/servers.ts) hands to test files through vitest's
// provide/inject. Kept in its own file so both sides share one type and the setup's
// node-only imports never reach the tests.

export type PgMajor = 15 | 18;

export interface PgServerInfo {
  /** Always 127.0.0.1: the servers listen on loopback TCP only (no unix socket). */
  host: string;
  port: number;
  /** Bootstrap superuser (initdb --username). */
  user: string;
  password: string;
  /** Major version the server reported at startup (checked against the package it came from). */
  major: PgMajor;
  /** `SHOW server_version`, e.g. "15.18". */
  version: string;
}

export interface PgServers {
  pg15: PgServerInfo;
  pg18: PgServerInfo;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgServers: PgServers;
  }
}

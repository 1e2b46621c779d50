/**
 * Vault's glob for an auth role's bound names and namespaces: `*` anywhere matches any run of
 * characters (vault-plugin-auth-kubernetes path_login.go uses strutil.StrListContainsGlob, which is
 * ryanuber/go-glob's Glob). Read by TK008 and by diff's reach for whom a role admits.
 */
export function vaultGlobMatches(glob: string, name: string): boolean {
  return new RegExp(`^${glob.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(name);
}

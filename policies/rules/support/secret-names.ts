/**
 * Which names (attribute keys, environment variable names, Helm parameters, shell variables) hold a
 * secret value. Names are split into words at `_`, `-`, `.`, `/` and camelCase boundaries, so
 * `db_password`, `DB_PASS`, `API_TOKEN`, `SECRET_KEY`, `clientSecret` and glued conventions such as
 * `PGPASSWORD` or `GITHUBTOKEN` are judged alike, while `bypass_row_level_security`, `token_ttl`,
 * `secretName` or `TIERKIT_CREDENTIALS_FILE` (which name a secret's metadata, not its value) are not.
 */

/** Whole words that name a secret value. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'secrets', 'token', 'credential', 'credentials',
  'apikey', 'privatekey', 'clientsecret', 'secretkey',
]);
/** Glued spellings: PGPASSWORD, MYSQL_ROOTPASSWORD, GITHUBTOKEN, AWSSECRET. */
const SECRET_SUFFIX = /(password|passwd|token|secret)$/;
const SECRET_INFIX = /password|passwd/;
/** Two-word names whose words alone are harmless (`key`, `api`). */
const SECRET_PAIRS = new Set(['api key', 'private key', 'signing key', 'encryption key', 'master key']);
/**
 * A last word that makes the name the secret's metadata, not its value (a TTL, a version, a path,
 * a file holding it, the name of a Kubernetes Secret, a CIDR list a token is bound to, …).
 */
const METADATA_WORDS = new Set([
  'version', 'ttl', 'ttls', 'policies', 'policy', 'type', 'path', 'paths', 'name', 'names', 'file', 'files',
  'length', 'statements', 'cidrs', 'ref', 'uses', 'period', 'mount', 'backend', 'role', 'roles', 'dir',
]);

/** Lower-case words of a name: `PGPASSWORD` → [pgpassword], `clientSecret` → [client, secret]. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** Names repeat in every env of a large estate (thousands of `password_wo`, `PGPASSWORD`…): judge each once. */
const judged = new Map<string, boolean>();

export function isSecretName(name: string): boolean {
  let verdict = judged.get(name);
  if (verdict === undefined) {
    verdict = judgeName(name);
    judged.set(name, verdict);
  }
  return verdict;
}

function judgeName(name: string): boolean {
  const w = words(name);
  if (w.length === 0) return false;
  const last = w[w.length - 1];
  // `password_wo_version`, `root_rotation_statements`, `token_max_ttl`: metadata of a secret.
  if (METADATA_WORDS.has(last) || w.slice(1).includes('rotation')) return false;
  if (w.length > 1 && last === 'id' && !w.includes('secret')) return false;
  for (let i = 0; i < w.length; i++) {
    if (SECRET_WORDS.has(w[i]) || SECRET_SUFFIX.test(w[i]) || SECRET_INFIX.test(w[i])) return true;
    if (i > 0 && SECRET_PAIRS.has(`${w[i - 1]} ${w[i]}`)) return true;
  }
  return false;
}

/** Values that are not literals: Terraform references, Vault placeholders, Kubernetes `$(VAR)` expansion. */
const REFERENCE = /^\$\{(var|data|ephemeral|local|module)\.[^}]+\}$|^\{\{\s*password\s*\}\}$|^\$\([A-Za-z_][A-Za-z0-9_]*\)$/;

/** True when `value` is a literal (a secret, if its name is secret-named). */
export function isLiteralValue(value: string): boolean {
  const v = value.trim();
  // `"true"` / `"false"`: a flag written as a string (`skip_child_token`), not a credential.
  return v !== '' && !REFERENCE.test(v) && !/^(true|false)$/i.test(v);
}

/**
 * Shell- or flag-style assignments inside a text (a Vault agent template, a container command or
 * argument): `export PGPASSWORD='hunter2'`, `DB_PASS=x`, `--db-password=x`. A value that expands
 * something (`$VAR`, `${VAR}`, `$(cmd)`) or is a template (`{{ .Data.password }}`) is not a literal.
 */
const ASSIGNMENT = /(?:^|[\s;&|(])(?:export\s+)?(--?[A-Za-z][A-Za-z0-9_-]*|[A-Za-z_][A-Za-z0-9_]*)=("[^"\n]*"|'[^'\n]*'|[^\s;'"|&)]+)/gm;

export function literalAssignments(text: string): string[] {
  if (!text.includes('=')) return [];
  const out: string[] = [];
  for (const m of text.matchAll(ASSIGNMENT)) {
    const name = m[1].replace(/^--?/, '');
    const raw = m[2];
    const value = /^["']/.test(raw) ? raw.slice(1, -1) : raw;
    if (!isSecretName(name) || value === '' || value.includes('$') || value.includes('{{')) continue;
    out.push(name);
  }
  return out;
}

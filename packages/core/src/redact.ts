/**
 * Credentials inside string values, masked wherever a value leaves the process: the CLI's human
 * output and `--json`, the audit trail, `hotreload history`, and anything a plugin prints or
 * sends. Key-name redaction (a `password` key in a config file) is the config plugin's job; this
 * finds secrets that sit inside a value whatever its key: connection strings, URLs with a token,
 * Authorization headers.
 */

/** What a masked credential is replaced by. */
export const REDACTED = '[redacted]'

// `scheme://userinfo@host`: the whole userinfo goes, user names included, because tokens are
// often passed as the user (`https://TOKEN@host`, `https://TOKEN:x-oauth-basic@host`). The
// match is greedy up to the last `@` before a path, so an unencoded `@` inside a password
// (`postgres://u:p@ss@host`) is masked too.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>\\]+)@/gi

// `Authorization: Bearer abc`, `"authorization":"Basic abc"`, `Proxy-Authorization=abc`.
const AUTH_HEADER = /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|negotiate|token)\s+)?([^\s"',;]+)/gi

// A bare `Bearer <token>`. Eight characters at least, so prose ("the bearer of") stays readable.
const BEARER = /\b(bearer)\s+([A-Za-z0-9\-._~+/]{8,}=*)/gi

// `?access_token=abc`, `Password=abc;` in connection strings, `--api-key=abc` on a command line.
const SECRET_PARAM = /(?<![\w.-])([\w.-]*(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?)[\w.-]*)(\s*=\s*)([^\s&;#"',]+)/gi

// Most strings (paths, messages) contain none of these: one cheap test skips the four patterns.
const MAYBE = /@|=|bearer|authorization/i

/**
 * `text` with every credential found inside it replaced by `"[redacted]"`: the userinfo of a
 * URL (`postgres://[redacted]@db:5432/app`), the credentials of an Authorization header
 * (`Authorization: Bearer [redacted]`), a bare bearer token, and the value of a secret-looking
 * parameter (`?token=[redacted]`, `Password=[redacted];`). Idempotent; returns `text` itself when
 * nothing was found.
 */
export function redactSecrets(text: string): string {
  if (!MAYBE.test(text)) return text
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(AUTH_HEADER, (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(BEARER, (_m, word: string) => `${word} ${REDACTED}`)
    .replace(SECRET_PARAM, (_m, key: string, eq: string) => `${key}${eq}${REDACTED}`)
}

/**
 * A copy of `value` with `redactSecrets` applied to every string inside it (array items and the
 * values of plain objects, at any depth; keys are kept). Parts without a secret are shared, not
 * copied, and `value` itself is returned when nothing was found, so redacting an event or a
 * record costs a walk and no allocation in the usual case. The input is never changed.
 */
export function redactValue<T>(value: T): T {
  return walk(value, 0) as T
}

// Records and events are shallow; the bound only stops a cyclic value from recursing forever.
const MAX_DEPTH = 64

function walk(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value)
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const next = walk(item, depth + 1)
      if (next !== item) (out ??= value.slice())[i] = next
    }
    return out ?? value
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  let out: Record<string, unknown> | undefined
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const item = record[key]
    const next = walk(item, depth + 1)
    if (next !== item) {
      // A null-prototype copy: a key such as `__proto__` stays an own key.
      out ??= Object.assign(Object.create(null) as Record<string, unknown>, record)
      out[key] = next
    }
  }
  return out ?? value
}

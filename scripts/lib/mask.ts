/** Masking of secrets for traffic logs and error texts: a masked value never contains any of the original. */

export const MASK = '***';

/**
 * Masks `value`. An app token `APP_ID|SECRET` keeps its (public) app id, so a log still shows which kind of
 * token was used.
 */
export function maskSecret(value: string): string {
  const bar = value.indexOf('|');
  if (bar > 0 && /^\d+$/.test(value.slice(0, bar))) return `${value.slice(0, bar)}|${MASK}`;
  return MASK;
}

/** A copy of `params` with the values of `secretKeys` masked. */
export function maskParams(params: Record<string, string>, secretKeys: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = secretKeys.has(key) ? maskSecret(value) : value;
  return out;
}

/** Replaces every occurrence of each secret in `text` with the mask. */
export function redactAll(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(MASK);
  return out;
}

/**
 * Verifies an RS256 JWT against a JWKS fetched over HTTP, with node:crypto only: independent of the stand-ins'
 * signing code, so a test proves what any relying party would see.
 */
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';

export interface VerifiedJwt {
  header: { alg: string; kid: string; typ?: string };
  claims: Record<string, any>;
}

export async function verifyWithJwks(token: string, jwksUrl: string): Promise<VerifiedJwt> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') throw new Error(`unexpected alg ${header.alg}`);
  const jwks = (await (await fetch(jwksUrl, { signal: AbortSignal.timeout(5_000) })).json()) as { keys: (JsonWebKey & { kid?: string })[] };
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in ${jwksUrl}`);
  const valid = verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signaturePart, 'base64url'));
  if (!valid) throw new Error('signature does not verify');
  return { header, claims: JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) };
}

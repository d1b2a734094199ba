/**
 * RS256-signed ID tokens (OpenID Connect Core §2) and the JWKS that verifies them, with node:crypto only. Each
 * stand-in makes its own key pair at start, so a token from one run never verifies against another run's keys.
 */
import { createHash, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsaKeyPair = promisify(generateKeyPair);

export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

export interface Jwks {
  keys: PublicJwk[];
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class IdTokenSigner {
  readonly kid: string;
  readonly #privateKey: KeyObject;
  readonly #jwk: PublicJwk;

  private constructor(privateKey: KeyObject, jwk: { n: string; e: string }) {
    this.#privateKey = privateKey;
    // RFC 7638 thumbprint: a kid that names this key and no other.
    this.kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
    this.#jwk = { kty: 'RSA', n: jwk.n, e: jwk.e, kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  static async create(): Promise<IdTokenSigner> {
    const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    return new IdTokenSigner(privateKey, jwk);
  }

  jwks(): Jwks {
    return { keys: [{ ...this.#jwk }] };
  }

  /** A compact JWS over `claims`, header `{alg: RS256, kid, typ: JWT}`. */
  sign(claims: Record<string, unknown>): string {
    const input = `${base64url({ alg: 'RS256', kid: this.kid, typ: 'JWT' })}.${base64url(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), this.#privateKey).toString('base64url')}`;
  }
}

/** OpenID Connect Core §3.1.3.6: the left half of SHA-256 of the access token, base64url. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

/**
 * Facebook Login for Devices (Facebook's take on RFC 8628): start a device login, poll its status, read the
 * profile. One function per protocol step; each returns a typed outcome. Facts: ../shared/PLATFORM.md §1.
 */
import { appSecretProof, GraphApiError, graphError, GraphUnavailableError, type GraphClient } from './graph.ts';

export interface DeviceAppCredentials {
  appId: string;
  clientToken: string;
}

/** `APP_ID|CLIENT_TOKEN`, the client access token the device endpoints require. */
export const clientAccessToken = (app: DeviceAppCredentials) => `${app.appId}|${app.clientToken}`;

export interface DeviceAuthorization {
  /** The device code: only ever sent back to Facebook, never shown or logged. */
  code: string;
  userCode: string;
  verificationUri: string;
  expiresInSeconds: number;
  intervalSeconds: number;
}

/**
 * Graph subcodes of `device/login_status` (constants in Facebook's Android SDK, DeviceAuthDialog.kt). The bodies
 * of pending, slow-down and expired answers were captured in public test fixtures (observed); the body of a
 * declined login was not (assumed: an OAuthException with subcode 1349173, `code` unknown). So the answer is
 * classified by subcode alone, whatever its `code` and HTTP status (PLATFORM.md §1.2).
 */
export const DeviceLoginSubcode = {
  Pending: 1349174,
  SlowDown: 1349172,
  Declined: 1349173,
  Expired: 1349152,
} as const;

/** Graph's "invalid parameter" error code. */
const INVALID_PARAMETER = 100;

/** RFC 8628 §3.2: when the server gives no interval, poll every 5 s. */
const DEFAULT_INTERVAL_SECONDS = 5;

/** `POST {graph}/device/login`: asks Facebook for a device code and a user code. */
export async function requestDeviceAuthorization(
  graph: GraphClient,
  app: DeviceAppCredentials,
  scopes: readonly string[],
): Promise<DeviceAuthorization> {
  const route = '/device/login';
  const { status, body } = await graph.call('POST', route, {
    params: { access_token: clientAccessToken(app), scope: scopes.join(',') },
  });
  const error = graphError(body);
  if (error) throw new GraphApiError('POST', route, status, error);
  const { code, user_code, verification_uri, expires_in, interval } = body;
  if (
    typeof code !== 'string' || code === '' ||
    typeof user_code !== 'string' || user_code === '' ||
    typeof verification_uri !== 'string' || !/^https?:\/\//.test(verification_uri) ||
    typeof expires_in !== 'number' || !(expires_in > 0)
  ) {
    throw new GraphUnavailableError('POST', route, status, 'the answer lacks code, user_code, verification_uri or expires_in');
  }
  return {
    code,
    userCode: user_code,
    verificationUri: verification_uri,
    expiresInSeconds: expires_in,
    intervalSeconds: typeof interval === 'number' && interval > 0 ? interval : DEFAULT_INTERVAL_SECONDS,
  };
}

export type DeviceLoginStatus =
  | { kind: 'pending' }
  | { kind: 'slow_down' }
  | { kind: 'declined' }
  | { kind: 'expired' }
  /**
   * Graph error 100 without a device subcode: Facebook does not know the code (any more). What Facebook answers
   * for a code that was already redeemed (the answer carrying the token was lost, e.g. to a timeout) is not
   * documented anywhere: assumed to be this error (it is Graph's "invalid parameter"), and if it is the expired
   * subcode instead, the login ends as expired, which is just as sensible. Either way, polling again cannot help.
   */
  | { kind: 'code-rejected' }
  | { kind: 'authorized'; accessToken: string }
  /** Anything else: a network error, a timeout, a 5xx, a body that is not JSON, an unknown error. */
  | { kind: 'unavailable'; reason: string };

/** `POST {graph}/device/login_status`: one poll. Never throws; every answer maps to an outcome. */
export async function pollDeviceLoginStatus(
  graph: GraphClient,
  app: DeviceAppCredentials,
  code: string,
): Promise<DeviceLoginStatus> {
  const route = '/device/login_status';
  let answer;
  try {
    answer = await graph.call('POST', route, { params: { access_token: clientAccessToken(app), code } });
  } catch (error) {
    return { kind: 'unavailable', reason: error instanceof Error ? error.message : 'unknown failure' };
  }
  const { status, body } = answer;
  const error = graphError(body);
  if (error) {
    switch (error.error_subcode) {
      case DeviceLoginSubcode.Pending:
        return { kind: 'pending' };
      case DeviceLoginSubcode.SlowDown:
        return { kind: 'slow_down' };
      case DeviceLoginSubcode.Declined:
        return { kind: 'declined' };
      case DeviceLoginSubcode.Expired:
        return { kind: 'expired' };
      default:
        if (error.code === INVALID_PARAMETER && error.error_subcode === undefined) return { kind: 'code-rejected' };
        return { kind: 'unavailable', reason: new GraphApiError('POST', route, status, error).message };
    }
  }
  if (typeof body.access_token === 'string' && body.access_token !== '') {
    return { kind: 'authorized', accessToken: body.access_token };
  }
  return { kind: 'unavailable', reason: `Graph POST ${route}: HTTP ${status} without an error or an access_token` };
}

export interface FacebookProfile {
  /** The app-scoped user id (ASID). */
  id: string;
  name: string;
  pictureUrl: string | undefined;
  /** The permissions the user granted (people may decline optional ones), as Graph reports them. */
  grantedScopes: string[];
}

/** The granted permissions in `/me`'s `permissions` field: `{data: [{permission, status}]}`. */
function grantedPermissions(permissions: unknown): string[] {
  const data = (permissions as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .filter((entry): entry is { permission: string; status: string } =>
      typeof entry?.permission === 'string' && /^[a-z_]{1,64}$/.test(entry.permission) && entry.status === 'granted',
    )
    .map((entry) => entry.permission);
}

/**
 * `GET {graph}/me?fields=id,name,picture,permissions` with the user's token in the Authorization header (and
 * `appsecret_proof`, which Graph still takes as a parameter).
 */
export async function fetchProfile(graph: GraphClient, accessToken: string, appSecret: string): Promise<FacebookProfile> {
  const route = '/me';
  const { status, body } = await graph.call('GET', route, {
    bearer: accessToken,
    params: { fields: 'id,name,picture,permissions', appsecret_proof: await appSecretProof(accessToken, appSecret) },
  });
  const error = graphError(body);
  if (error) throw new GraphApiError('GET', route, status, error);
  const { id, name, picture } = body;
  if (typeof id !== 'string' || id === '' || typeof name !== 'string') {
    throw new GraphUnavailableError('GET', route, status, 'the profile lacks id or name');
  }
  const url = (picture as { data?: { url?: unknown } } | undefined)?.data?.url;
  return {
    id,
    name,
    pictureUrl: typeof url === 'string' && /^https?:\/\//.test(url) && url.length <= 2000 ? url : undefined,
    grantedScopes: grantedPermissions(body.permissions),
  };
}

/**
 * The browser login's code exchange (PLATFORM.md §2): `{graph}/oauth/access_token` with the app secret, the exact
 * redirect URI of the dialog, and the PKCE verifier. Facebook's docs show a GET; Graph takes the same parameters
 * as a POST form, which keeps the secret and the code out of every URL. Returns the user access token.
 */
export async function exchangeCode(
  graph: GraphClient,
  app: { appId: string; appSecret: string },
  code: string,
  redirectUri: string,
  codeVerifier: string,
): Promise<string> {
  const route = '/oauth/access_token';
  const { status, body } = await graph.call('POST', route, {
    params: { client_id: app.appId, redirect_uri: redirectUri, client_secret: app.appSecret, code, code_verifier: codeVerifier },
  });
  const error = graphError(body);
  if (error) throw new GraphApiError('POST', route, status, error);
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new GraphUnavailableError('POST', route, status, 'the answer has no access_token');
  }
  return body.access_token;
}

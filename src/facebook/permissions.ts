/**
 * Revoking the app's access to a Facebook account: `DELETE {graph}/{user-id}/permissions` with the app access
 * token `APP_ID|APP_SECRET` (PLATFORM.md §1.5). Works without the user's token, which this bot never keeps.
 */
import { graphError, GraphTimeoutError, GraphUnavailableError, type GraphClient } from './graph.ts';

/** Where people remove an app from their Facebook account themselves. */
export const FACEBOOK_APP_SETTINGS_URL = 'https://www.facebook.com/settings?tab=applications';

export interface AppSecretCredentials {
  appId: string;
  appSecret: string;
}

/** `APP_ID|APP_SECRET`: a secret. It goes to Facebook only, never into a message, a log line or an error text. */
export const appAccessToken = (app: AppSecretCredentials) => `${app.appId}|${app.appSecret}`;

export type RevokeOutcome =
  /** Facebook confirmed: the app no longer has any permission on that account. */
  | { kind: 'revoked' }
  /** Facebook answered with a 4xx error (e.g. 190, invalid token), or 200 without success: it did not revoke. */
  | { kind: 'refused'; status: number; code: number | undefined }
  /** Facebook answered with a 5xx, or with something that is not Graph JSON. */
  | { kind: 'facebook-error'; status: number }
  /** No answer within the timeout: Facebook may or may not have revoked. */
  | { kind: 'timeout'; timeoutMs: number }
  /** The request did not reach Facebook (DNS, connection, TLS). */
  | { kind: 'unreachable' };

/** Asks Facebook to remove every permission the app holds on `facebookUserId`. Never throws. */
export async function revokeAppPermissions(
  graph: GraphClient,
  app: AppSecretCredentials,
  facebookUserId: string,
): Promise<RevokeOutcome> {
  let answer;
  try {
    answer = await graph.call('DELETE', `/${encodeURIComponent(facebookUserId)}/permissions`, { bearer: appAccessToken(app) });
  } catch (error) {
    if (error instanceof GraphTimeoutError) return { kind: 'timeout', timeoutMs: error.timeoutMs };
    if (error instanceof GraphUnavailableError && error.status !== 0) return { kind: 'facebook-error', status: error.status };
    return { kind: 'unreachable' };
  }
  const { status, body } = answer;
  if (status >= 500) return { kind: 'facebook-error', status };
  const error = graphError(body);
  if (error) return { kind: 'refused', status, code: error.code };
  if (status === 200 && body.success === true) return { kind: 'revoked' };
  return { kind: 'refused', status, code: undefined };
}

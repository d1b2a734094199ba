/**
 * Graph API error answers, as Graph words them (PLATFORM.md §1). Each is an HTTP status plus `{"error":{...}}`.
 * Texts marked "captured" are copied from real answers; the others follow Graph's usual phrasing.
 */
import { randomBytes } from 'node:crypto';

export interface GraphError {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  fbtrace_id: string;
}

export interface GraphErrorAnswer {
  status: number;
  body: { error: GraphError };
}

const traceId = () => randomBytes(8).toString('base64url').slice(0, 11);

function graphError(status: number, error: Omit<GraphError, 'fbtrace_id'>): GraphErrorAnswer {
  return { status, body: { error: { ...error, fbtrace_id: traceId() } } };
}

/** Captured: `device/login` (and `login_status`) without a valid `APP_ID|CLIENT_TOKEN`. */
export const needsClientToken = () =>
  graphError(400, { message: '(#190) This method must be called with a client access token', type: 'OAuthException', code: 190 });

/** Captured. */
export const devicePending = () =>
  graphError(400, {
    message: 'This request requires the user to take a pending action',
    type: 'OAuthException',
    code: 31,
    error_subcode: 1349174,
    is_transient: false,
    error_user_title: 'Device Login Authorization Pending',
    error_user_msg: 'User has not yet authorized your application. Continue polling.',
  });

/** Captured (including Facebook's "minium"). */
export const deviceSlowDown = () =>
  graphError(400, {
    message: 'User request limit reached',
    type: 'OAuthException',
    code: 17,
    error_subcode: 1349172,
    is_transient: false,
    error_user_title: 'OAuth Device Excessive Polling',
    error_user_msg: 'Your device is polling too frequently. Space your requests with a minium interval of 5 seconds.',
  });

/** Captured. */
export const deviceExpired = () =>
  graphError(400, {
    message: 'The session has expired',
    type: 'OAuthException',
    code: 463,
    error_subcode: 1349152,
    is_transient: false,
    error_user_title: 'Activation Code Expired',
    error_user_msg: 'The code you entered has expired. Please go back to your device for a new code and try again.',
  });

/** No source captured this body; only the subcode 1349173 is known (from the Android SDK). Code 31 is our guess. */
export const deviceDeclined = () =>
  graphError(400, {
    message: 'The user has declined to authorize your application',
    type: 'OAuthException',
    code: 31,
    error_subcode: 1349173,
    is_transient: false,
    error_user_title: 'Device Login Declined',
    error_user_msg: 'The user declined to log in on your device.',
  });

/**
 * A `code` the stand-in never issued, or one whose token was already handed out. Graph's parameter errors are
 * code 100 without a subcode, so a client cannot mistake this for any device-login state.
 */
export const invalidDeviceCode = () =>
  graphError(400, { message: '(#100) Invalid device login code', type: 'OAuthException', code: 100 });

export const missingParameter = (name: string) =>
  graphError(400, { message: `(#100) The parameter ${name} is required`, type: 'OAuthException', code: 100 });

export const cannotParseToken = () =>
  graphError(400, { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 });

export const tokenExpired = () =>
  graphError(400, {
    message: 'Error validating access token: Session has expired',
    type: 'OAuthException',
    code: 190,
    error_subcode: 463,
  });

export const appNotAuthorized = (appId: string) =>
  graphError(400, {
    message: `Error validating access token: The user has not authorized application ${appId}.`,
    type: 'OAuthException',
    code: 190,
    error_subcode: 458,
  });

export const needsAccessToken = () =>
  graphError(400, { message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 2500 });

export const invalidAppSecretProof = () =>
  graphError(400, { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 });

export const appSecretProofRequired = () =>
  graphError(400, { message: 'API calls from the server require an appsecret_proof argument', type: 'GraphMethodException', code: 100 });

export const nonexistingField = (field: string) =>
  graphError(400, { message: `(#100) Tried accessing nonexisting field (${field}) on node type (User)`, type: 'OAuthException', code: 100 });

/** Revoking needs the app access token `APP_ID|APP_SECRET` (or the user's own token). */
export const needsAppToken = () =>
  graphError(400, { message: 'Invalid OAuth access token signature.', type: 'OAuthException', code: 190 });

export const unsupportedRequest = (method: string, id: string) =>
  graphError(400, {
    message:
      `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing ` +
      'permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api',
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  });

export const unknownPath = (path: string) =>
  graphError(400, { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500 });

// --- The redirect flow's code exchange, `{graph}/oauth/access_token` (PLATFORM.md §2) ---
// "Observed" bodies are quoted from real answers in public issue threads; "assumed" ones follow Graph's phrasing.

/** Observed (php-graph-sdk #538, 2015): `{"message":"Error validating client secret.","type":"OAuthException","code":1}`. */
export const invalidClientSecret = () =>
  graphError(400, { message: 'Error validating client secret.', type: 'OAuthException', code: 1 });

/** Assumed wording: a `client_id` that is not this app's. Graph's code 101 is "invalid API key". */
export const invalidApplicationId = () =>
  graphError(400, { message: 'Error validating application. Invalid application ID.', type: 'OAuthException', code: 101 });

/** Assumed wording; the code 101 is what Graph answers for a missing `client_id`. */
export const missingClientId = () => graphError(400, { message: 'Missing client_id parameter.', type: 'OAuthException', code: 101 });

/** Assumed wording (older captures show code 191 for redirect_uri problems). */
export const missingRedirectUri = () => graphError(400, { message: 'Missing redirect_uri parameter.', type: 'OAuthException', code: 191 });

/** Observed (node-oauth #12, 2010, without a code field then): a `code` Facebook never issued. */
export const invalidVerificationCode = () =>
  graphError(400, { message: 'Invalid verification code format.', type: 'OAuthException', code: 100 });

/** Observed, with the subcode (a captured body in a public C# client): a code exchanged before. */
export const authorizationCodeUsed = () =>
  graphError(400, { message: 'This authorization code has been used.', type: 'OAuthException', code: 100, error_subcode: 36009 });

/** Observed, with the subcode (overtrue/socialite #198, HTTP 400): a code older than its 10 minutes. */
export const authorizationCodeExpired = () =>
  graphError(400, { message: 'This authorization code has expired.', type: 'OAuthException', code: 100, error_subcode: 36007 });

/** Observed (message in several issue threads; code 100 subcode 36008 in a captured 2020s answer). */
export const redirectUriMismatch = () =>
  graphError(400, {
    message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    type: 'OAuthException',
    code: 100,
    error_subcode: 36008,
  });

/** Assumed: no capture of Facebook's answer to a missing or wrong PKCE `code_verifier` was found. */
export const invalidCodeVerifier = () => graphError(400, { message: 'Invalid code verifier.', type: 'OAuthException', code: 100 });

/** Graph's answer to a transient failure (used by the `serverError` fault). */
export const unexpectedError = () =>
  graphError(500, {
    message: 'An unexpected error has occurred. Please retry your request later.',
    type: 'OAuthException',
    code: 2,
    is_transient: true,
  });

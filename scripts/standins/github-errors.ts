/**
 * GitHub's OAuth error answers: `{error, error_description, error_uri}`, sent with HTTP 200 from the token
 * endpoint (PLATFORM.md §7). Sources, in order of weight:
 * - the error codes and their meaning: github/docs `authorizing-oauth-apps.md` ("Error codes for the device
 *   flow") and `troubleshooting-oauth-app-access-token-request-errors.md` (bodies of incorrect_client_credentials,
 *   redirect_uri_mismatch, bad_verification_code, copied);
 * - captured answers in public test fixtures: authorization_pending's text and error_uri, slow_down's text,
 *   `error_uri: https://docs.github.com` and `interval` (cli/oauth device_flow_test.go), incorrect_device_code's
 *   text (cli/cli#9302), device_flow_disabled's text (amitsaha/gitbackup#164);
 * - [inf] where fixtures disagree or are silent: access_denied's, expired_token's and unsupported_grant_type's
 *   texts.
 */

export interface GitHubOAuthError {
  error: string;
  error_description: string;
  error_uri: string;
  /** slow_down only: the interval now required. */
  interval?: number;
}

const DEVICE_FLOW_ERRORS = 'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow';
const TOKEN_ERRORS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

export const authorizationPending = (): GitHubOAuthError => ({
  error: 'authorization_pending',
  error_description: 'The authorization request is still pending.',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const slowDown = (interval: number): GitHubOAuthError => ({
  error: 'slow_down',
  error_description: 'Too many requests have been made in the same timeframe.',
  error_uri: 'https://docs.github.com',
  interval,
});

export const expiredToken = (): GitHubOAuthError => ({
  error: 'expired_token',
  error_description: 'The `device_code` has expired.',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const accessDenied = (): GitHubOAuthError => ({
  error: 'access_denied',
  error_description: 'The authorization request was denied.',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const incorrectDeviceCode = (): GitHubOAuthError => ({
  error: 'incorrect_device_code',
  error_description: 'The device_code provided is not valid.',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const incorrectClientCredentials = (): GitHubOAuthError => ({
  error: 'incorrect_client_credentials',
  error_description: 'The client_id and/or client_secret passed are incorrect.',
  error_uri: `${TOKEN_ERRORS}/#incorrect-client-credentials`,
});

export const unsupportedGrantType = (): GitHubOAuthError => ({
  error: 'unsupported_grant_type',
  error_description: 'The grant type is not supported.',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const deviceFlowDisabled = (): GitHubOAuthError => ({
  error: 'device_flow_disabled',
  error_description: 'Device Flow must be explicitly enabled for this App',
  error_uri: DEVICE_FLOW_ERRORS,
});

export const badVerificationCode = (): GitHubOAuthError => ({
  error: 'bad_verification_code',
  error_description: 'The code passed is incorrect or expired.',
  error_uri: `${TOKEN_ERRORS}/#bad-verification-code`,
});

export const redirectUriMismatch = (): GitHubOAuthError => ({
  error: 'redirect_uri_mismatch',
  error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
  error_uri: `${TOKEN_ERRORS}/#redirect-uri-mismatch2`,
});

/** The redirect after Cancel on the authorize page (troubleshooting-authorization-request-errors.md). */
export const authorizeAccessDenied = {
  error: 'access_denied',
  error_description: 'The user has denied your application access.',
  error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
};

/** REST API error bodies: `{message, documentation_url, status}`. */
export const apiError = (status: number, message: string, documentationUrl = 'https://docs.github.com/rest') => ({
  message,
  documentation_url: documentationUrl,
  status: String(status),
});

/**
 * Microsoft Entra ID's error answers: `{error, error_description, error_codes, timestamp, trace_id,
 * correlation_id, error_uri}` with an `AADSTSnnnnn:` text, as in MicrosoftDocs/entra-docs
 * `reference-error-codes.md` ("Here's a sample error response"). The device-flow error names and their meaning
 * come from `v2-oauth2-device-code.md`; the AADSTS numbers and texts from the same error-code reference
 * (70016 AuthorizationPending, 70018 BadVerificationCode, 70019 CodeExpired, 54005 code already redeemed,
 * 501481 code_verifier mismatch, 700016 unknown application, 7000215 wrong secret, 7000218 public client flows
 * off, 90002 unknown tenant, 900144 missing parameter, 70003 unsupported grant type). [inf]: the number and text of
 * authorization_declined (70000), of a device code used twice (invalid_grant 70000, as one captured fixture
 * shows), and of slow_down (Entra documents no slow_down).
 */
import { randomUUID } from 'node:crypto';

export interface EntraError {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/** `2026-09-29 12:00:00Z`, Entra's timestamp format. */
export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function entraError(baseUrl: string, time: number, error: string, code: number, text: string): EntraError {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp(time);
  return {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${baseUrl}/error?code=${code}`,
  };
}

/** The AADSTS number and text for each answer the stand-in gives. */
export const ENTRA = {
  pending: [70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'],
  slowDown: [70016, 'OAuth 2.0 device flow error. Polling too frequently; wait at least the interval between requests.'],
  declined: [70000, 'The end user denied the authorization request.'],
  badVerificationCode: [70018, 'Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved.'],
  expired: [70019, 'Verification code expired.'],
  deviceCodeUsed: [70000, "The provided value for the input parameter 'device_code' has already been used."],
  codeRedeemed: [54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'],
  codeInvalid: [70000, "The provided value for the 'code' parameter is not valid."],
  codeExpired: [70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'],
  redirectMismatch: [70000, "The 'redirect_uri' does not match the one used in the authorization request."],
  pkce: [501481, "The Code_Verifier doesn't match the code_challenge supplied in the authorization request."],
  refreshInvalid: [70000, 'The provided refresh token is not valid.'],
  unsupportedGrant: [70003, 'The app requested an unsupported grant type.'],
  serverError: [50000, 'There was an error issuing a token or an issue with our sign-in service.'],
} as const satisfies Record<string, readonly [number, string]>;

export const missingParameter = (name: string): [number, string] => [900144, `The request body must contain the following parameter: '${name}'.`];
export const unknownApplication = (clientId: string, tenant: string): [number, string] => [
  700016,
  `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
];
export const unknownTenant = (tenant: string): [number, string] => [
  90002,
  `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
];
export const wrongSecret = (clientId: string): [number, string] => [
  7000215,
  `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
];
export const secretRequired = (): [number, string] => [7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."];
export const redirectNotRegistered = (uri: string, clientId: string): [number, string] => [
  50011,
  `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
];

/**
 * The browser side the GitHub, Google and Microsoft stand-ins share: the device page (enter the code, choose an
 * identity, Authorize or Cancel) and the authorize page of the redirect flow, with their form handling. Each
 * provider supplies its look, its identities and how its redirects are shaped.
 */
import type { AuthorizationCodes, AuthorizationRequest } from './oauth-codes.ts';
import { DeviceCodeError, type DeviceLogins } from './oauth-device-logins.ts';
import type { Identity } from './oauth-identities.ts';
import { authorizePage, deviceDonePage, devicePage, errorPage, type Brand, type IdentityChoice } from './oauth-pages.ts';
import { htmlAnswer, redirectAnswer, type Answer } from './oauth-server.ts';

export interface BrowserPages<I extends Identity> {
  brand: Brand;
  appName: string;
  logins: DeviceLogins<I>;
  codes: AuthorizationCodes<I>;
  device: { path: string; heading: string; codeFormat: string };
  /** The authorize form's target (its own path: the form posts back to the page). */
  authorizePath: (request: AuthorizationRequest) => string;
  /** The identities a page offers, with pictures and a detail line; `tenant` when the login's is known. */
  choices: (tenant?: string) => IdentityChoice[];
  /** An identity by name: the configured ones and any a test used. */
  identity: (name: string) => I | undefined;
  /** Why `identity` cannot sign in to a login of this tenant, or undefined when it can (Microsoft). */
  refusal?: (identity: I, tenant: string | undefined) => string | undefined;
  /** The redirect after Authorize. */
  approvedLocation: (request: AuthorizationRequest, code: string) => string;
  /** The redirect after Cancel. */
  declinedLocation: (request: AuthorizationRequest) => string;
}

const DEVICE_PROBLEMS: Record<DeviceCodeError['problem'], string> = {
  unknown: "That code isn't right. Check the code on your device and try again.",
  expired: 'That code has expired. Go back to your device for a new code.',
  already_decided: 'That code was already used. Go back to your device for a new code.',
};

/** GET and POST of the device page. */
export function devicePageAnswer<I extends Identity>(pages: BrowserPages<I>, method: string, params: Record<string, string>): Answer {
  const { brand, device } = pages;
  const render = (status: number, extra: { userCode?: string; selected?: string; error?: string }) =>
    htmlAnswer(status, devicePage({ brand, action: device.path, heading: device.heading, codeFormat: device.codeFormat, identities: pages.choices(), ...extra }));
  if (method === 'GET') return render(200, { userCode: params.user_code });

  const userCode = params.user_code ?? '';
  const retry = (error: string) => render(400, { userCode, selected: params.identity, error });
  try {
    if (params.action === 'cancel') {
      pages.logins.decline(userCode);
      return htmlAnswer(200, deviceDonePage({ brand, approved: false }), 'declined');
    }
    const identity = params.identity === undefined ? undefined : pages.identity(params.identity);
    if (!identity) return retry('Choose who you are from the list.');
    pages.logins.checkDecidable(userCode);
    const refusal = pages.refusal?.(identity, pages.logins.request(userCode)?.tenant);
    if (refusal) return retry(refusal);
    pages.logins.approve(userCode, identity);
    return htmlAnswer(200, deviceDonePage({ brand, approved: true, identityName: identity.name }), 'approved');
  } catch (error) {
    if (!(error instanceof DeviceCodeError)) throw error;
    return retry(DEVICE_PROBLEMS[error.problem]);
  }
}

/** The consent page of an open request; `answer`: what the person chose before, and why it was refused. */
function consentPage<I extends Identity>(pages: BrowserPages<I>, request: AuthorizationRequest, requestId: string, answer: { selected?: string; error?: string } = {}) {
  return authorizePage({
    brand: pages.brand,
    action: pages.authorizePath(request),
    requestId,
    appName: pages.appName,
    scopes: request.scopes,
    redirectOrigin: new URL(request.redirectUri).origin,
    identities: pages.choices(request.tenant),
    ...answer,
  });
}

/** A validated request: opens it and shows the consent page. */
export function authorizePageAnswer<I extends Identity>(pages: BrowserPages<I>, request: AuthorizationRequest): Answer {
  return htmlAnswer(200, consentPage(pages, request, pages.codes.open(request)));
}

/** POST of the consent page: the redirect back to the client, or the page again with a note. */
export function authorizeDecisionAnswer<I extends Identity>(pages: BrowserPages<I>, params: Record<string, string>): Answer {
  const requestId = params.request_id ?? '';
  const request = pages.codes.pending(requestId);
  if (!request) {
    return htmlAnswer(
      400,
      errorPage({ brand: pages.brand, title: 'This page has expired', message: 'This authorization request has expired or was already answered. Start again from the app.' }),
    );
  }
  if (params.action === 'cancel') {
    pages.codes.decline(requestId);
    return redirectAnswer(pages.declinedLocation(request), 'declined');
  }
  const identity = params.identity === undefined ? undefined : pages.identity(params.identity);
  const refusal = identity ? pages.refusal?.(identity, request.tenant) : 'Choose who you are from the list.';
  if (!identity || refusal) {
    return htmlAnswer(400, consentPage(pages, request, requestId, { ...(params.identity !== undefined ? { selected: params.identity } : {}), ...(refusal ? { error: refusal } : {}) }));
  }
  const approved = pages.codes.approve(requestId, identity)!;
  return redirectAnswer(pages.approvedLocation(approved.request, approved.code), 'approved');
}

/** A request refused without a redirect (unknown client, unregistered redirect URI). */
export function refusedAnswer(brand: Brand, status: number, title: string, message: string): Answer {
  return htmlAnswer(status, errorPage({ brand, title, message }), title);
}

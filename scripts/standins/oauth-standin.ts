/**
 * What the GitHub, Google and Microsoft stand-ins have in common above HTTP: the handle's shared methods (the
 * user's part, snapshots, waiting, faults, log, events) and the programmatic walk through an authorize page.
 * Tests, the playground and the benchmark can drive every provider through {@link OAuthStandinBase}.
 */
import type { EventEmitter } from 'node:events';
import type { FaultQueue } from '../lib/faults.ts';
import type { TrafficLog } from '../lib/traffic-log.ts';
import { waitForEvent } from '../lib/wait.ts';
import type { AuthorizationCodes, AuthorizationSnapshot } from './oauth-codes.ts';
import type { DeviceLoginEvent, DeviceLoginSnapshot, DeviceLogins } from './oauth-device-logins.ts';
import type { Identity } from './oauth-identities.ts';
import type { Revocation, TokenBook } from './oauth-tokens.ts';

export interface OAuthStandinBase<I extends Identity, Route extends string, Fault extends { kind: string }> {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly identities: readonly I[];
  /** Where the device page is (the `verification_uri` the stand-in hands out). */
  readonly deviceUrl: string;
  /** The user typed `userCode` and authorized as `identity`. Throws {@link DeviceCodeError}. */
  approve(userCode: string, identity: I): { userId: string };
  /** The user typed `userCode` and cancelled. Throws {@link DeviceCodeError}. */
  decline(userCode: string): void;
  deviceLogin(userCode: string): DeviceLoginSnapshot<I> | undefined;
  /** Every device login started so far, oldest first. */
  deviceLogins(): DeviceLoginSnapshot<I>[];
  /** The first device login (existing or future) that matches. */
  waitForDeviceLogin(match?: (login: DeviceLoginSnapshot<I>) => boolean, timeoutMs?: number): Promise<DeviceLoginSnapshot<I>>;
  /** Every authorization request of the browser flow so far, oldest first (never the code). */
  authorizations(): AuthorizationSnapshot<I>[];
  /**
   * The user's part of the browser flow: opens `authorizeUrl` (the stand-in's authorize page, over HTTP), picks
   * `identity` and presses Authorize or Cancel. Resolves with the redirect's Location. Rejects with
   * {@link AuthorizePageError} when the page refuses the request instead of redirecting.
   */
  authorize(authorizeUrl: string, identity: I, decision: 'approve' | 'decline'): Promise<string>;
  /** Registers a redirect URI (exact match), e.g. the Worker's callback once its URL is known. */
  allowRedirectUri(uri: string): void;
  /** The provider's stable id for an identity of this name (see each stand-in). */
  userIdFor(name: string): string;
  revocations(): Revocation[];
  /** The next `times` requests to `route` (or any route: `*`) get `fault`. */
  injectFault(route: Route | '*', fault: Fault, times?: number): void;
  clearFaults(): void;
  readonly traffic: TrafficLog;
  /** `change` for every device-login event (created, polled, approved, declined). */
  readonly events: EventEmitter<{ change: [DeviceLoginEvent] }>;
  close(): Promise<void>;
}

/** The handle's members every stand-in answers alike, straight from its device logins, codes, tokens, faults and log. */
type SharedMembers = 'decline' | 'deviceLogin' | 'deviceLogins' | 'waitForDeviceLogin' | 'authorizations' | 'revocations' | 'injectFault' | 'clearFaults' | 'traffic' | 'events' | 'close';

export function sharedHandleMembers<I extends Identity, Route extends string, Fault extends { kind: string }>(parts: {
  logins: DeviceLogins<I>;
  codes: AuthorizationCodes<I>;
  tokens: TokenBook<I>;
  faults: FaultQueue<Route, Fault>;
  traffic: TrafficLog;
  server: { close(): Promise<void> };
}): Pick<OAuthStandinBase<I, Route, Fault>, SharedMembers> {
  const { logins, codes, tokens, faults, traffic, server } = parts;
  return {
    decline: (userCode) => logins.decline(userCode),
    deviceLogin: (userCode) => logins.snapshot(userCode),
    deviceLogins: () => logins.list(),
    waitForDeviceLogin: (match, timeoutMs) => waitForDeviceLoginOn(logins, match, timeoutMs),
    authorizations: () => codes.list(),
    revocations: () => tokens.revocations(),
    injectFault: (route, fault, times) => faults.add(route, fault, times),
    clearFaults: () => faults.clear(),
    traffic,
    events: logins,
    close: () => server.close(),
  };
}

/** What a stand-in knows of each identity by name (a picture, Microsoft's tenant): kept unless the caller says otherwise. */
export class KnownIdentities<I extends Identity> {
  readonly #byName = new Map<string, I>();
  constructor(initial: readonly I[]) {
    for (const identity of initial) this.remember(identity);
  }
  /** Merges `identity` into what is known of its name, and returns the result. */
  remember(identity: I): I {
    const merged = { ...this.#byName.get(identity.name), ...identity };
    this.#byName.set(identity.name, merged);
    return merged;
  }
  get(name: string): I | undefined {
    return this.#byName.get(name);
  }
  find(predicate: (identity: I) => boolean): I | undefined {
    return [...this.#byName.values()].find(predicate);
  }
  all(): I[] {
    return [...this.#byName.values()];
  }
}

/** The authorize page answered something other than a redirect: `status` and the page's message. */
export class AuthorizePageError extends Error {
  override name = 'AuthorizePageError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(`the authorize page answered ${status}: ${message}`);
    this.status = status;
  }
}

/** The message of one of our error pages, or the start of any other body. */
function pageMessage(html: string): string {
  const alert = /role="alert">([^<]*)</.exec(html)?.[1];
  return (alert ?? html.slice(0, 200)).replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Walks an authorize page as a browser would: GET it, read the form's request id, POST the decision. Used by
 * every stand-in's `authorize()`; the pages' own HTTP handling is what it exercises.
 */
export async function walkAuthorizePage(standinUrl: string, authorizeUrl: string, identityName: string, decision: 'approve' | 'decline'): Promise<string> {
  const target = new URL(authorizeUrl);
  if (target.origin !== new URL(standinUrl).origin) throw new Error(`${authorizeUrl} is not on this stand-in (${standinUrl})`);
  const shown = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const html = await shown.text();
  const location = shown.headers.get('location');
  // The stand-in redirects at once when the request is invalid but safe to return (RFC 6749 §4.1.2.1).
  if (shown.status === 302 && location) return location;
  if (shown.status !== 200) throw new AuthorizePageError(shown.status, pageMessage(html));
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!requestId || !action) throw new AuthorizePageError(shown.status, 'no authorization form on the page');
  const answered = await fetch(new URL(action.replace(/&amp;/g, '&'), target), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, identity: identityName, action: decision === 'approve' ? 'authorize' : 'cancel' }),
    signal: AbortSignal.timeout(10_000),
  });
  const answeredHtml = await answered.text();
  const redirect = answered.headers.get('location');
  if (answered.status !== 302 || !redirect) throw new AuthorizePageError(answered.status, pageMessage(answeredHtml));
  return redirect;
}

/** waitForDeviceLogin over a {@link DeviceLogins}: one scan up front, then only the login each event is about. */
export function waitForDeviceLoginOn<I extends Identity>(
  logins: DeviceLogins<I>,
  match: (login: DeviceLoginSnapshot<I>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<DeviceLoginSnapshot<I>> {
  return waitForEvent<DeviceLoginSnapshot<I>, [DeviceLoginEvent]>(
    logins,
    'change',
    (event?: DeviceLoginEvent) => {
      if (!event) return logins.list().find(match);
      const login = logins.snapshot(event.userCode);
      return login && match(login) ? login : undefined;
    },
    'a matching device login',
    timeoutMs,
  );
}

/** Redirect URIs registered for the client: exact string match, as RFC 9700 §4.1.3 asks. */
export class RedirectUris {
  readonly #uris = new Set<string>();
  constructor(initial: readonly string[] = []) {
    for (const uri of initial) this.allow(uri);
  }
  allow(uri: string): void {
    new URL(uri); // throws on a malformed URI: better at registration than at the first login
    this.#uris.add(uri);
  }
  has(uri: string): boolean {
    return this.#uris.has(uri);
  }
  first(): string | undefined {
    return this.#uris.values().next().value;
  }
}

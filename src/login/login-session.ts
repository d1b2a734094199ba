/**
 * LoginSession: one Durable Object per Discord user (named by the user id) that runs that user's logins and
 * logouts on alarms. The shell around the pure state machine in session.ts: ask for the next step, perform it
 * (one outside call: the provider, Discord or D1), apply the outcome, store, re-arm the alarm.
 *
 * Cost and safety, in one rule: the state lives in memory while the object is alive and is read from storage only
 * after a restart; a write is made only when something a restart must not lose has changed, and without awaiting
 * it, so that the runtime coalesces it with the alarm into one commit and its output gate holds the next outside
 * call until the write is durable. A poll that only says "pending" therefore costs one row: the next alarm. A
 * restart cannot tell whether a poll was in flight, so the first poll after one waits a full interval (see
 * `resumed`): an alarm that fires early, runs twice or re-runs after a crash never polls early.
 */
import { DurableObject } from 'cloudflare:workers';
import * as oauth from 'oauth4webapi';
import { discordSetting, must, siteSetting } from '../config.ts';
import { DiscordApiError, DiscordRest, RateLimitedError, TokenGoneError } from '../discord/rest.ts';
import { randomToken, sha256Hex } from '../encoding.ts';
import { translatorFor, type Locale } from '../i18n/locales.ts';
import type { Env } from '../env.ts';
import { linkNote } from '../links/link-note.ts';
import { forgetDiscordGrant, pushRoleConnection } from '../linked-roles/push.ts';
import { findLinks, linkAccount, unlink } from '../links/store.ts';
import { loginSession } from './stub.ts';
import { enabledProvider, enabledProviders, providerLabel } from '../providers/registry.ts';
import { ProviderError, type Grant, type Identity, type Provider, type ProviderId } from '../providers/types.ts';
import {
  accountErased,
  advance,
  browserCallbackAccepted,
  browserCallbackCheck,
  browserDeclined,
  browserFailed,
  browserStarted,
  browserTicketCheck,
  cancelled,
  codeShown,
  deviceCodeFailed,
  deviceCodeIssued,
  emptyState,
  finalEditDone,
  isEmpty,
  loginAllowedAt,
  loginReportLine,
  loginSucceeded,
  MAX_PROFILE_TRIES,
  logoutDone,
  logoutRequested,
  logoutUnlinked,
  nextStep,
  pollAnswered,
  profileFetchFailed,
  profileUnavailable,
  pushAttempted,
  pushSettled,
  pushRequested,
  resumed,
  startLogin,
  type BrowserCheck,
  type DiscordUserName,
  type EditResult,
  type FinalEdit,
  type LogoutJob,
  type RoleConnectionPush,
  type Session,
  type State,
  type StartLogin,
} from './session.ts';
import {
  codeMessage,
  conclusionMessage,
  erasedMessage,
  logoutMessage,
  minimalCodeMessage,
  notLinkedMessage,
  sessionTranslator,
  successMessage,
  type DiscordMessage,
} from './views.ts';

const STATE_KEY = 'state';
/** Steps one alarm may take before it yields (each is one outbound call at most). */
const MAX_STEPS_PER_ALARM = 12;
/** After an unexpected error the alarm re-arms itself this far ahead, instead of relying on platform retries. */
const CRASH_RETRY_MS = 5_000;

export type StartLoginRequest = Omit<StartLogin, 'sessionId' | 'providerName' | 'providerColor'>;
export type StartResult = { kind: 'started' } | { kind: 'rate-limited'; retryAfterMs: number } | { kind: 'provider-unavailable' };
export type CancelResult = 'cancelled' | 'not-owner' | 'not-active';
export type LogoutRequest = Omit<LogoutJob, 'id' | 'startedAt' | 'unlinked'>;
/** Whose login a browser ticket would start: the confirmation page names the Discord user. */
export type BrowserTicketResult = { kind: 'ok'; discordUserId: string; discordUser: DiscordUserName | undefined } | { kind: Exclude<BrowserCheck, 'ok'> };
export type BrowserStartResult =
  | { kind: 'ok'; state: string; cookie: string; codeChallenge: string; nonce: string }
  | { kind: Exclude<BrowserCheck, 'ok'> };
export type BrowserCallbackResult =
  | { kind: 'linked'; name: string; providerName: string }
  /** `refused`: the provider said no to this code (a 4xx); `failed`: an outage, or this side's settings or storage. */
  | { kind: 'declined' | 'refused' | 'failed' }
  | { kind: Exclude<BrowserCheck, 'ok'> };

/**
 * Who logged in, for a browser that is waiting on the answer: a transient failure is tried again at once, up to
 * the device path's number of tries (which spaces them out on alarms instead).
 */
async function identifyNow(provider: Provider, grant: Grant): Promise<Identity> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await provider.identify(grant);
    } catch (error) {
      if (attempt >= MAX_PROFILE_TRIES || (error instanceof ProviderError && !error.transient)) throw error;
    }
  }
}

/** RFC 6749 §4.1.2.1: the authorization server's own trouble, as opposed to a refusal of this request. */
const TRANSIENT_AUTHORIZATION_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

/** The browser login's redirect URI: exactly what is registered at the provider. */
export const callbackUrl = (publicBaseUrl: string, provider: ProviderId) => `${publicBaseUrl}/auth/${provider}/callback`;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

function editResult(error: unknown): EditResult {
  if (error instanceof TokenGoneError) return { kind: 'token-gone' };
  if (error instanceof RateLimitedError) return { kind: 'rate-limited', retryAfterMs: error.retryAfterMs };
  if (error instanceof DiscordApiError && error.status !== 0 && error.status < 500) return { kind: 'rejected' };
  return { kind: 'transient' };
}

/**
 * The part of the state a restart must not lose, as a change-detector for writes. Left out: the poll's timing
 * (re-derived on restart, see `resumed`), the counters of the log line, and whether the code message was shown
 * (after a restart it is shown again: the same edit, harmless), so that neither a poll nor the code message
 * costs a write of its own.
 */
function durable(state: State): string {
  const current = state.current && { ...state.current, lastPollAt: undefined, stats: undefined, codeShown: undefined, discordFailures: undefined, discordRetryAt: undefined };
  return JSON.stringify({ ...state, current });
}

export class LoginSession extends DurableObject<Env> {
  /** The state, in memory from the first event after (re)start; storage is read only then. */
  #memory: State | undefined;
  /** What storage holds (as {@link durable} renders it), to know when a write is needed. */
  #stored = '';
  /** When the alarm is set for, as far as this instance knows (undefined after a restart: unknown). */
  #alarmAt: number | null | undefined;
  // TypeScript-private, not #private, so that a test can check the map is emptied when it should be.
  /**
   * Provider grants between the poll that returned them and the identity call, keyed by session id. In memory
   * only, on purpose: never stored. If the object restarts in between, the login reports that the profile could
   * not be read.
   */
  private readonly accessTokens = new Map<string, Grant>();

  // ---- RPC, called by the Worker ------------------------------------------------------------------------------

  /**
   * A /login: supersedes a login in progress, records everything the alarm needs and sets the alarm for now. A
   * user who started too many logins recently is told when to try again, and nothing is started.
   */
  async start(request: StartLoginRequest): Promise<StartResult> {
    const now = Date.now();
    const state = await this.#state();
    const allowedAt = loginAllowedAt(state, now);
    if (allowedAt !== undefined) return { kind: 'rate-limited', retryAfterMs: allowedAt - now };
    const provider = enabledProvider(this.env, request.provider);
    if (!provider) return { kind: 'provider-unavailable' };
    // The superseded login's token, if it was approved a moment ago, is dropped with it.
    if (state.current) this.#dropGrant(state.current);
    // The browser button's ticket names this object (an opaque id), so the Worker can route the click here.
    const browserTicket = provider.browser && siteSetting(this.env).ok ? `${this.ctx.id.toString()}.${randomToken()}` : undefined;
    const next = startLogin(
      state,
      { ...request, sessionId: randomToken(), browserTicket, providerName: provider.name, providerColor: provider.color },
      now,
      conclusionMessage,
    );
    this.#commit(next, now);
    return { kind: 'started' };
  }

  /** The Cancel button. Only the user who started the login may cancel it. */
  async cancel(sessionId: string, clickingUserId: string): Promise<CancelResult> {
    const state = await this.#state();
    const session = state.current;
    if (!session || session.id !== sessionId) return 'not-active';
    if (session.discordUserId !== clickingUserId) return 'not-owner';
    this.#dropGrant(session);
    this.#commit(cancelled(state, sessionId));
    return 'cancelled';
  }

  /** A /logout, deferred: the alarm unlinks, asks the provider to revoke, and edits the reply with the outcome. */
  async logout(request: LogoutRequest): Promise<void> {
    const now = Date.now();
    this.#commit(logoutRequested(await this.#state(), { ...request, id: randomToken(), startedAt: now }), now);
  }

  /**
   * The user's data at `provider` was erased (deauthorize or data-deletion callback): nothing about that account
   * may stay here, so a success message not yet shown is replaced.
   */
  async forgetAccount(provider: ProviderId, discordUserId: string): Promise<void> {
    const state = await this.#state();
    const name = providerLabel(this.env, provider);
    const erased = accountErased(state, provider, (edit) => erasedMessage(translatorFor(edit.locale as Locale), name));
    // The link is gone: the user's Linked Roles must say so.
    this.#commit(pushRequested(erased, discordUserId), Date.now());
  }

  /** One of this user's links was taken over by another Discord user's login: their Linked Roles must say so. */
  async linksChanged(discordUserId: string): Promise<void> {
    this.#commit(pushRequested(await this.#state(), discordUserId), Date.now());
  }

  /**
   * A login started from a web page (Linked Roles, for a user with no link yet): no Discord message, only the
   * browser path, for any provider with a browser login. Returns the ticket for the page's buttons.
   */
  async startWebLogin(discordUserId: string, locale: string, discordUser?: DiscordUserName): Promise<{ kind: 'started'; ticket: string } | { kind: 'in-progress' | 'unavailable' }> {
    const now = Date.now();
    const state = await this.#state();
    // A /login running in Discord is never replaced from a web page: its code stays good, and its success pushes
    // the roles too. (A web login costs the provider nothing until a button is used: it is not rate limited.)
    if (state.current && state.current.origin !== 'web') return { kind: 'in-progress' };
    const provider = enabledProviders(this.env).find((p) => p.browser);
    if (!provider || !siteSetting(this.env).ok) return { kind: 'unavailable' };
    if (state.current) this.#dropGrant(state.current);
    const ticket = `${this.ctx.id.toString()}.${randomToken()}`;
    const next = startLogin(
      state,
      { sessionId: randomToken(), origin: 'web', browserTicket: ticket, provider: provider.id, providerName: provider.name, providerColor: provider.color, discordUserId, discordUser, applicationId: '', interactionToken: '', locale },
      now,
      conclusionMessage,
    );
    this.#commit(next, now);
    return { kind: 'started', ticket };
  }

  /** The "in the browser" button was opened: whether its ticket is good, and for whom, without spending it. */
  async browserTicket(ticket: string, providerId: ProviderId): Promise<BrowserTicketResult> {
    const state = await this.#state();
    const check = browserTicketCheck(state, ticket, providerId, Date.now());
    if (check !== 'ok') return { kind: check };
    return { kind: 'ok', discordUserId: state.current!.discordUserId, discordUser: state.current!.discordUser };
  }

  /**
   * The user confirmed on the page the ticket opened: checks the ticket (single use), makes the state, the cookie
   * that binds this browser, the PKCE verifier and the nonce, and keeps what the callback must match.
   */
  async browserStart(ticket: string, providerId: ProviderId): Promise<BrowserStartResult> {
    const check = browserTicketCheck(await this.#state(), ticket, providerId, Date.now());
    if (check !== 'ok') return { kind: check };
    const sessionId = this.#memory!.current!.id;
    const state = `${this.ctx.id.toString()}.${randomToken()}`;
    const cookie = randomToken(32);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const nonce = randomToken();
    const [codeChallenge, stateHash, cookieHash] = await Promise.all([oauth.calculatePKCECodeChallenge(codeVerifier), sha256Hex(state), sha256Hex(cookie)]);
    // Only if the same login is still current (the awaits above let other events in).
    if (browserTicketCheck(this.#memory!, ticket, providerId, Date.now()) !== 'ok' || this.#memory!.current!.id !== sessionId) return { kind: 'finished' };
    this.#commit(browserStarted(this.#memory!, sessionId, providerId, { stateHash, cookieHash, codeVerifier, nonce, startedAt: Date.now() }));
    return { kind: 'ok', state, cookie, codeChallenge, nonce };
  }

  /**
   * The provider sent the browser back: checks state and cookie (single use), then exchanges the code, reads who
   * logged in, links the account (same rules as the device path) and has the message edited at once. Whichever
   * path completes first wins: from here on the device code is not polled.
   */
  async browserCallback(providerId: ProviderId, stateValue: string, cookie: string | undefined, query: string): Promise<BrowserCallbackResult> {
    const [stateHash, cookieHash] = await Promise.all([sha256Hex(stateValue), cookie ? sha256Hex(cookie) : undefined]);
    const loaded = await this.#state();
    const check = browserCallbackCheck(loaded, stateHash, cookieHash, Date.now());
    if (check !== 'ok') return { kind: check };
    const session = loaded.current!;
    if (session.provider !== providerId) return { kind: 'invalid' };
    const started = session.browser!.started!;
    const provider = this.#provider(session);
    const site = siteSetting(this.env);
    this.#save(browserCallbackAccepted(loaded, session.id, Date.now()));
    const params = new URLSearchParams(query);
    const error = params.get('error');
    if (!provider?.browser || !site.ok || error) {
      if (error && error !== 'access_denied') console.warn(`browser login answered with an error (${providerId}): ${error.slice(0, 64)}`);
      const declined = error === 'access_denied';
      this.#commit((declined ? browserDeclined : browserFailed)(this.#memory!, session.id, conclusionMessage), Date.now());
      if (declined) return { kind: 'declined' };
      return { kind: error && !TRANSIENT_AUTHORIZATION_ERRORS.has(error) ? 'refused' : 'failed' };
    }
    let identity: Identity;
    let grant: Grant | undefined;
    try {
      grant = await provider.browser.exchange({
        params,
        redirectUri: callbackUrl(site.value.publicBaseUrl, providerId),
        state: stateValue,
        codeVerifier: started.codeVerifier,
        nonce: started.nonce,
      });
      identity = await identifyNow(provider, grant);
      await provider.release(grant);
    } catch (exchangeError) {
      // A token we hold but could not use is still given back (release never throws).
      if (grant) await provider.release(grant);
      console.error(`browser login failed (${providerId}): ${describe(exchangeError)}`);
      this.#commit(browserFailed(this.#memory!, session.id, conclusionMessage), Date.now());
      return { kind: exchangeError instanceof ProviderError && !exchangeError.transient ? 'refused' : 'failed' };
    }
    const linked = await this.#link(session, identity);
    // The final message is sent by the alarm, now.
    this.#commit(this.#memory!, Date.now());
    if (linked === 'linked') return { kind: 'linked', name: identity.name, providerName: provider.name };
    return { kind: linked === 'failed' ? 'failed' : 'finished' };
  }

  // ---- Alarm ---------------------------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    // The alarm that fired is spent: none is set now unless this run (or an event meanwhile) sets one.
    this.#alarmAt = null;
    try {
      for (let steps = 0; steps < MAX_STEPS_PER_ALARM; steps++) {
        const now = Date.now();
        const state = advance(await this.#state(), now, conclusionMessage);
        if (state !== this.#memory) this.#save(state);
        const step = nextStep(state, now);
        switch (step.kind) {
          case 'idle':
          case 'sleep':
            this.#commit(state, step.kind === 'sleep' ? step.until : null);
            return;
          case 'request-device-code':
            await this.#requestDeviceCode(step.session);
            break;
          case 'show-code':
            await this.#showCode(step.session);
            break;
          case 'poll':
            await this.#poll(step.session);
            break;
          case 'identify':
            await this.#identify(step.session);
            break;
          case 'logout':
            await this.#logout(step.job);
            break;
          case 'final-edit':
            await this.#finalEdit(step.edit);
            break;
          case 'push':
            await this.#push(step.push);
            break;
        }
      }
      this.#commit(this.#memory!, Date.now() + 1_000);
    } catch (error) {
      // Never let the platform's short retry sequence be the only safety net: log, re-arm, carry on.
      console.error(`login alarm failed, retrying in ${CRASH_RETRY_MS} ms: ${describe(error)}`);
      this.#alarmAt = undefined;
      await this.ctx.storage.setAlarm(Date.now() + CRASH_RETRY_MS);
    }
  }

  // ---- Steps ---------------------------------------------------------------------------------------------------

  #provider(session: Session): Provider | undefined {
    return enabledProvider(this.env, session.provider);
  }

  async #requestDeviceCode(session: Session): Promise<void> {
    const provider = this.#provider(session);
    try {
      if (!provider) throw new ProviderError(`${session.provider} is no longer set up`, false);
      const device = await provider.startDeviceLogin();
      this.#save(deviceCodeIssued(this.#memory!, session.id, device, Date.now()));
    } catch (error) {
      const transient = error instanceof ProviderError ? error.transient : true;
      console.error(`device login could not start (${session.provider}): ${describe(error)}`);
      this.#save(deviceCodeFailed(this.#memory!, session.id, transient, Date.now(), conclusionMessage));
    }
  }

  async #showCode(session: Session): Promise<void> {
    const device = session.device!;
    const site = siteSetting(this.env);
    const browserUrl =
      session.browser && site.ok ? `${site.value.publicBaseUrl}/auth/${session.provider}/start?t=${encodeURIComponent(session.browser.ticket)}` : undefined;
    const message = session.codeFallback ? minimalCodeMessage(session, device) : codeMessage(session, device, browserUrl);
    const result = await this.#edit(session.applicationId, session.interactionToken, message);
    if (result.kind === 'rejected') {
      console.error(session.codeFallback ? 'Discord refused the plain code message too; the login ends' : 'Discord refused the code message; sending it as plain text');
    }
    this.#save(codeShown(this.#memory!, session.id, result, Date.now()));
  }

  async #poll(session: Session): Promise<void> {
    const provider = this.#provider(session);
    if (!provider) {
      this.#save(pollAnswered(this.#memory!, session.id, { kind: 'fatal', error: 'provider no longer set up' }, Date.now(), conclusionMessage));
      return;
    }
    const outcome = await provider.pollDeviceLogin(session.device!.deviceCode);
    if (outcome.kind === 'transient') console.warn(`device login poll failed (${session.provider}): ${outcome.reason}`);
    if (outcome.kind === 'fatal') console.error(`device login poll got an error (${session.provider}): ${outcome.error}`);
    const answer = outcome.kind === 'authorized' ? ({ kind: 'authorized' } as const) : outcome;
    const state = pollAnswered(this.#memory!, session.id, answer, Date.now(), conclusionMessage);
    // Keep the token only while its login is still the current one (a Cancel or a new /login may have come in).
    if (outcome.kind === 'authorized') {
      if (state.current?.id === session.id) this.accessTokens.set(session.id, outcome.grant);
      else void provider.release(outcome.grant);
    }
    this.#save(state);
  }

  /** Drops a login's provider grant, unused (a Cancel, a newer login), and gives it back where the provider can. */
  #dropGrant(session: Session): void {
    const grant = this.accessTokens.get(session.id);
    if (!grant) return;
    this.accessTokens.delete(session.id);
    // release() never throws; nothing waits for it.
    void this.#provider(session)?.release(grant);
  }

  async #identify(session: Session): Promise<void> {
    const grant = this.accessTokens.get(session.id);
    const provider = this.#provider(session);
    if (!grant || !provider) {
      this.#save(profileUnavailable(this.#memory!, session.id, 'profile-unavailable', conclusionMessage));
      return;
    }
    let identity: Identity;
    try {
      identity = await provider.identify(grant);
    } catch (error) {
      console.error(`who logged in could not be read (${session.provider}): ${describe(error)}`);
      const transient = !(error instanceof ProviderError) || error.transient;
      const state = transient
        ? profileFetchFailed(this.#memory!, session.id, Date.now(), conclusionMessage)
        : profileUnavailable(this.#memory!, session.id, 'profile-unavailable', conclusionMessage);
      // The token stays only while its login may still try again.
      if (state.current?.id !== session.id) this.#dropGrant(session);
      this.#save(state);
      return;
    }
    // A Cancel or a newer login meanwhile has already given the token back (#dropGrant).
    if (this.accessTokens.get(session.id) !== grant) return;
    this.accessTokens.delete(session.id);
    // The bot needs only who the user is: the token goes back to the provider where it can be given back.
    await provider.release(grant);
    await this.#link(session, identity);
  }

  /**
   * Links the account, for the login that is still current. A Cancel or a newer /login may have come in while the
   * provider was being asked; from here until the outcome is stored, nothing else may: the account is linked only
   * for a current login, and its message says what was done.
   */
  async #link(session: Session, identity: Identity): Promise<'linked' | 'not-current' | 'failed'> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const state = this.#memory!;
      if (state.current?.id !== session.id) return 'not-current';
      let message: DiscordMessage;
      let moved: string | undefined;
      try {
        const link = await linkAccount(this.env.DB, {
          discordUserId: session.discordUserId,
          provider: session.provider,
          subject: identity.subject,
          name: identity.name,
          scopes: identity.scopes,
          now: Date.now(),
        });
        message = successMessage(session, identity, linkNote(sessionTranslator(session), session.providerName, link));
        moved = link.movedFromDiscordUserId;
      } catch (error) {
        console.error(`link could not be saved: ${describe(error)}`);
        this.#save(profileUnavailable(state, session.id, 'link-unavailable', conclusionMessage));
        return 'failed';
      }
      // The user's Linked Roles now owe an update: pushed by the alarm after the message; so do those of the user
      // the account was linked to before, if any.
      this.#save(pushRequested(loginSucceeded(state, session.id, message, conclusionMessage), session.discordUserId, moved ? { notify: moved } : {}));
      return 'linked';
    });
  }

  async #logout(job: LogoutJob): Promise<void> {
    if (job.unlinked === undefined) {
      const link = await unlink(this.env.DB, job.discordUserId, job.provider);
      const lastLinkGone = link ? (await findLinks(this.env.DB, job.discordUserId)).length === 0 : false;
      // From memory as it is after the awaits: a /login, Cancel or erase that came in meanwhile is kept.
      let state = logoutUnlinked(this.#memory!, job.id, link ? { subject: link.subject, name: link.name } : null);
      // Linked Roles follow: every boolean false once the last link is gone, and then the bot forgets the grant.
      if (link) state = pushRequested(state, job.discordUserId, { forget: lastLinkGone });
      this.#save(state);
      return;
    }
    const provider = enabledProvider(this.env, job.provider);
    const look = { name: providerLabel(this.env, job.provider), appSettingsUrl: provider?.appSettingsUrl };
    const t = translatorFor(job.locale as Locale);
    let message: DiscordMessage;
    if (job.unlinked === null) message = notLinkedMessage(t, look);
    else {
      const outcome = provider ? await provider.revokeApp(job.unlinked.subject) : ({ kind: 'unreachable' } as const);
      if (outcome.kind !== 'revoked' && outcome.kind !== 'not-supported') {
        console.warn(`/logout: ${job.provider} did not confirm the revocation: ${JSON.stringify(outcome)}`);
      }
      message = logoutMessage(t, look, job.unlinked, outcome);
    }
    this.#save(logoutDone(this.#memory!, job.id, message));
  }

  async #finalEdit(edit: FinalEdit): Promise<void> {
    const result = await this.#edit(edit.applicationId, edit.interactionToken, edit.message);
    const now = Date.now();
    const state = finalEditDone(this.#memory!, edit.id, edit.revision, result, now);
    // The login is over once its message is shown (or given up): one structured line for Workers Logs.
    if (!state.outbox.some((e) => e.id === edit.id)) {
      const line = loginReportLine(edit, result, now);
      if (line) console.log(JSON.stringify(line));
    }
    this.#save(state);
  }

  /** Pushes the user's Linked Roles metadata; retries Discord's 429 and 5xx after the time it asks for. */
  async #push(push: RoleConnectionPush): Promise<void> {
    const result = await pushRoleConnection(this.env, push.discordUserId);
    const retryAfter = result.kind === 'retry' ? result.afterMs : undefined;
    if (result.kind === 'failed' || result.kind === 'retry') console.warn(`Linked Roles push: ${result.kind} (${result.reason})`);
    // The last link is gone and the push is done (or given up): the bot forgets the user's Discord grant, unless
    // the user has linked again meanwhile (a /login right after the /logout).
    if (push.forget && pushSettled(push, retryAfter) && (await findLinks(this.env.DB, push.discordUserId)).length === 0) {
      await forgetDiscordGrant(this.env, push.discordUserId);
    }
    // This user's login took over someone else's link: that user's object pushes their Linked Roles.
    if (push.notify && result.kind !== 'disabled' && pushSettled(push, retryAfter)) {
      for (const other of push.notify) {
        await loginSession(this.env, other)
          .linksChanged(other)
          .catch((error: unknown) => console.warn(`Linked Roles: the previous owner of a link could not be told: ${describe(error)}`));
      }
    }
    // From memory as it is now: a push requested while this one was in flight stays owed.
    this.#save(pushAttempted(this.#memory!, push, retryAfter, Date.now()));
  }

  async #edit(applicationId: string, interactionToken: string, message: DiscordMessage): Promise<EditResult> {
    try {
      await new DiscordRest({ baseUrl: must(discordSetting(this.env)).apiUrl }).editOriginalResponse(applicationId, interactionToken, message);
      return { kind: 'ok' };
    } catch (error) {
      const result = editResult(error);
      if (result.kind !== 'token-gone' && result.kind !== 'rate-limited') console.error(`Discord edit failed: ${describe(error)}`);
      return result;
    }
  }

  // ---- State and storage ---------------------------------------------------------------------------------------

  /**
   * The state: from memory, or, on the first event after a (re)start, from storage. The rate limit's record is
   * kept in memory across the erasures of storage (see session.ts).
   */
  async #state(): Promise<State> {
    if (this.#memory) return this.#memory;
    const stored = await this.ctx.storage.get<State>(STATE_KEY);
    // Objects stored by an earlier version lack the newer lists.
    const state = stored ? { ...emptyState(), ...stored } : emptyState();
    this.#stored = stored ? durable(state) : '';
    this.#memory ??= resumed(state, Date.now());
    return this.#memory;
  }

  /** Keeps `state` in memory and, when it differs from what storage holds in a way a restart must not lose, writes it (not awaited). */
  #save(state: State): void {
    this.#memory = state;
    if (isEmpty(state)) return;
    const rendered = durable(state);
    if (rendered === this.#stored) return;
    this.#stored = rendered;
    void this.ctx.storage.put(STATE_KEY, state);
  }

  /**
   * {@link #save}, and sets the alarm for `alarmAt` (or leaves it when undefined); when nothing is left, erases
   * everything, alarm included. Called without an await in between, so it is one commit with the save.
   */
  #commit(state: State, alarmAt?: number | null): void {
    if (isEmpty(state)) {
      this.#memory = state;
      if (this.#stored !== '' || this.#alarmAt !== null) void this.ctx.storage.deleteAll();
      this.#stored = '';
      this.#alarmAt = null;
      return;
    }
    this.#save(state);
    if (alarmAt === undefined || alarmAt === this.#alarmAt) return;
    this.#alarmAt = alarmAt;
    if (alarmAt === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(alarmAt);
  }
}

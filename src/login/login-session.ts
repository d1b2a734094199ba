/**
 * LoginSession: one Durable Object per Discord user (named by the user id) that runs that user's Facebook device
 * login on alarms. The shell around the pure state machine in session.ts: load state, ask for the next step,
 * perform it (a Graph call or a Discord edit), apply the outcome, store, re-arm the alarm.
 *
 * Everything the alarm needs is in storage before the alarm is set, every step is driven by stored state, and
 * each poll's time is stored before the poll is sent, so an alarm that runs twice, fires early, or re-runs after
 * the object was evicted mid-step resumes correctly without polling early or posting twice.
 */
import { DurableObject } from 'cloudflare:workers';
import { discordSetting, must } from '../config.ts';
import { DiscordApiError, DiscordRest, RateLimitedError, TokenGoneError } from '../discord/rest.ts';
import { fetchProfile, pollDeviceLoginStatus, requestDeviceAuthorization, type FacebookProfile } from '../facebook/device-login.ts';
import { GraphApiError, GraphClient } from '../facebook/graph.ts';
import { revokeAppPermissions } from '../facebook/permissions.ts';
import { facebookSetting, type FacebookSettings } from '../facebook/settings.ts';
import { randomToken } from '../encoding.ts';
import type { Env } from '../env.ts';
import { linkNote } from '../links/link-note.ts';
import { linkAccount, unlinkDiscordUser } from '../links/store.ts';
import {
  advance,
  cancelled,
  codeShown,
  deviceCodeFailed,
  deviceCodeIssued,
  emptyState,
  facebookDataErased,
  finalEditDone,
  isEmpty,
  loginAllowedAt,
  loginSucceeded,
  logoutDone,
  logoutRequested,
  logoutUnlinked,
  nextStep,
  pollAnswered,
  pollStarted,
  profileFetchFailed,
  profileUnavailable,
  startLogin,
  type EditResult,
  type LogoutJob,
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
  successMessage,
  type DiscordMessage,
} from './views.ts';

const STATE_KEY = 'state';
/** Steps one alarm may take before it yields (each is one outbound call at most). */
const MAX_STEPS_PER_ALARM = 12;
/** After an unexpected error the alarm re-arms itself this far ahead, instead of relying on platform retries. */
const CRASH_RETRY_MS = 5_000;
/**
 * A poll waits longer than other Graph calls: the answer that says "approved" carries the only copy of the access
 * token, and Facebook redeems the code when it sends it. Giving up on a slow answer loses the login.
 */
export const POLL_TIMEOUT_MS = 10_000;

export type StartLoginRequest = Omit<StartLogin, 'sessionId'>;
export type StartResult = { kind: 'started' } | { kind: 'rate-limited'; retryAfterMs: number };
export type CancelResult = 'cancelled' | 'not-owner' | 'not-active';
export type LogoutRequest = Omit<LogoutJob, 'id' | 'startedAt' | 'unlinked'>;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

function editResult(error: unknown): EditResult {
  if (error instanceof TokenGoneError) return { kind: 'token-gone' };
  if (error instanceof RateLimitedError) return { kind: 'rate-limited', retryAfterMs: error.retryAfterMs };
  if (error instanceof DiscordApiError && error.status !== 0 && error.status < 500) return { kind: 'rejected' };
  return { kind: 'transient' };
}


export class LoginSession extends DurableObject<Env> {
  /**
   * Facebook's access token between the poll that returned it and the profile call, keyed by session id. Kept
   * in memory only, on purpose: it is never stored. If the object restarts in between, the login reports that
   * the profile could not be read.
   */
  // TypeScript-private, not #private, so that a test can check the map is emptied when it should be.
  private readonly accessTokens = new Map<string, string>();
  /**
   * The rate limit's record once storage is erased (a login over, nothing owed): forgetting everything when a
   * login ends matters more than surviving a restart, after which a user may at worst start a few more logins.
   */
  #recentStarts: number[] = [];

  // ---- RPC, called by the Worker ------------------------------------------------------------------------------

  /**
   * A /login: stores everything the alarm needs, supersedes a login in progress, and sets the alarm for now. A
   * user who started too many logins recently is told when to try again, and nothing is started.
   */
  async start(request: StartLoginRequest): Promise<StartResult> {
    const now = Date.now();
    const loaded = await this.#load();
    const allowedAt = loginAllowedAt(loaded, now);
    if (allowedAt !== undefined) return { kind: 'rate-limited', retryAfterMs: allowedAt - now };
    // The superseded login's token, if it was approved a moment ago, is dropped with it.
    if (loaded.current) this.accessTokens.delete(loaded.current.id);
    const state = startLogin(loaded, { ...request, sessionId: randomToken() }, now, conclusionMessage);
    await this.#save(state);
    await this.ctx.storage.setAlarm(now);
    return { kind: 'started' };
  }

  /** A /logout, deferred: the alarm unlinks, asks the provider to revoke, and edits the reply with the outcome. */
  async logout(request: LogoutRequest): Promise<void> {
    const now = Date.now();
    await this.#save(logoutRequested(await this.#load(), { ...request, id: randomToken(), startedAt: now }));
    await this.ctx.storage.setAlarm(now);
  }

  /** The Cancel button. Only the user who started the login may cancel it. */
  async cancel(sessionId: string, clickingUserId: string): Promise<CancelResult> {
    const state = await this.#load();
    const session = state.current;
    if (!session || session.id !== sessionId) return 'not-active';
    if (session.discordUserId !== clickingUserId) return 'not-owner';
    this.accessTokens.delete(sessionId);
    await this.#store(cancelled(state, sessionId));
    return 'cancelled';
  }

  /**
   * The user's Facebook data was erased (deauthorize or data-deletion callback): nothing about that account may
   * stay here, so a success message not yet shown is replaced.
   */
  async forgetFacebookAccount(): Promise<void> {
    const state = await this.#load();
    const erased = facebookDataErased(state, erasedMessage());
    if (erased !== state) await this.#store(erased);
  }

  // ---- Alarm ---------------------------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    try {
      for (let steps = 0; steps < MAX_STEPS_PER_ALARM; steps++) {
        const now = Date.now();
        const loaded = await this.#load();
        const state = advance(loaded, now, conclusionMessage);
        if (state !== loaded) await this.#save(state);
        const step = nextStep(state, now);
        switch (step.kind) {
          case 'idle':
            await this.#store(state);
            return;
          case 'sleep':
            await this.ctx.storage.setAlarm(step.until);
            return;
          case 'request-device-code':
            await this.#requestDeviceCode(step.session);
            break;
          case 'show-code':
            await this.#showCode(step.session);
            break;
          case 'poll':
            await this.#poll(step.session, now);
            break;
          case 'fetch-profile':
            await this.#completeLogin(step.session);
            break;
          case 'logout':
            await this.#logout(step.job);
            break;
          case 'final-edit': {
            const { edit } = step;
            const result = await this.#edit(edit.applicationId, edit.interactionToken, edit.message);
            await this.#update((s) => finalEditDone(s, edit.id, edit.revision, result, Date.now()));
            break;
          }
        }
      }
      await this.ctx.storage.setAlarm(Date.now() + 1_000);
    } catch (error) {
      // Never let the platform's short retry sequence be the only safety net: log, re-arm, carry on from storage.
      console.error(`login alarm failed, retrying in ${CRASH_RETRY_MS} ms: ${describe(error)}`);
      await this.ctx.storage.setAlarm(Date.now() + CRASH_RETRY_MS);
    }
  }

  // ---- Steps ---------------------------------------------------------------------------------------------------

  async #requestDeviceCode(session: Session): Promise<void> {
    const config = this.#facebook();
    if (!config) {
      await this.#update((s) => deviceCodeFailed(s, session.id, false, Date.now(), conclusionMessage));
      return;
    }
    try {
      const device = await requestDeviceAuthorization(this.#graph(config), this.#app(config), config.scopes);
      await this.#update((s) => deviceCodeIssued(s, session.id, device, Date.now()));
    } catch (error) {
      const transient = !(error instanceof GraphApiError && error.status >= 400 && error.status < 500);
      console.error(`device login could not start: ${describe(error)}`);
      await this.#update((s) => deviceCodeFailed(s, session.id, transient, Date.now(), conclusionMessage));
    }
  }

  async #showCode(session: Session): Promise<void> {
    const message = session.codeFallback ? minimalCodeMessage(session.device!) : codeMessage(session, session.device!);
    const result = await this.#edit(session.applicationId, session.interactionToken, message);
    if (result.kind === 'rejected') {
      console.error(session.codeFallback ? 'Discord refused the plain code message too; the login ends' : 'Discord refused the code message; sending it as plain text');
    }
    await this.#update((s) => codeShown(s, session.id, result, Date.now()));
  }

  async #poll(session: Session, now: number): Promise<void> {
    const config = this.#facebook();
    if (!config) {
      await this.#update((s) => deviceCodeFailed(s, session.id, false, Date.now(), conclusionMessage));
      return;
    }
    await this.#update((s) => pollStarted(s, session.id, now));
    const status = await pollDeviceLoginStatus(this.#graph(config, POLL_TIMEOUT_MS), this.#app(config), session.device!.code);
    if (status.kind === 'unavailable') console.warn(`device login poll failed: ${status.reason}`);
    const answer = status.kind === 'authorized' ? ({ kind: 'authorized' } as const) : status;
    const state = pollAnswered(await this.#load(), session.id, answer, Date.now(), conclusionMessage);
    // Keep the token only while its login is still the current one (a Cancel or a new /login may have come in).
    if (status.kind === 'authorized' && state.current?.id === session.id) this.accessTokens.set(session.id, status.accessToken);
    await this.#store(state);
  }

  async #completeLogin(session: Session): Promise<void> {
    const accessToken = this.accessTokens.get(session.id);
    const config = this.#facebook();
    if (!accessToken || !config) {
      await this.#update((s) => profileUnavailable(s, session.id, 'profile-unavailable', conclusionMessage));
      return;
    }
    let profile: FacebookProfile;
    try {
      profile = await fetchProfile(this.#graph(config), accessToken, config.appSecret);
    } catch (error) {
      console.error(`profile could not be read: ${describe(error)}`);
      // Facebook refusing the token (a 4xx) will not change; a timeout, network error or 5xx may.
      const refused = error instanceof GraphApiError && error.status >= 400 && error.status < 500;
      const state = await this.#update((s) =>
        refused
          ? profileUnavailable(s, session.id, 'profile-unavailable', conclusionMessage)
          : profileFetchFailed(s, session.id, Date.now(), conclusionMessage),
      );
      // The token stays only while its login may still try again.
      if (state.current?.id !== session.id) this.accessTokens.delete(session.id);
      return;
    }
    this.accessTokens.delete(session.id);
    // A Cancel or a newer /login may have come in while /me was on its way; from here until the outcome is
    // stored, nothing else may: the account is linked only for the login that is still current, and the message
    // says what was done.
    await this.ctx.blockConcurrencyWhile(async () => {
      const state = await this.#load();
      if (state.current?.id !== session.id) return;
      let message: DiscordMessage;
      try {
        const link = await linkAccount(this.env.DB, {
          discordUserId: session.discordUserId,
          facebookUserId: profile.id,
          name: profile.name,
          scopes: profile.grantedScopes,
          now: Date.now(),
        });
        message = successMessage(profile, linkNote(link));
      } catch (error) {
        console.error(`link could not be saved: ${describe(error)}`);
        await this.#store(profileUnavailable(state, session.id, 'link-unavailable', conclusionMessage));
        return;
      }
      await this.#store(loginSucceeded(state, session.id, message, conclusionMessage));
    });
  }

  async #logout(job: LogoutJob): Promise<void> {
    if (job.unlinked === undefined) {
      const link = await unlinkDiscordUser(this.env.DB, job.discordUserId);
      const unlinked = link ? { facebookUserId: link.facebookUserId, name: link.name } : null;
      await this.#update((s) => logoutUnlinked(s, job.id, unlinked));
      return;
    }
    let message: DiscordMessage;
    const config = this.#facebook();
    if (job.unlinked === null) message = notLinkedMessage();
    else if (!config) message = logoutMessage(job.unlinked, { kind: 'unreachable' });
    else {
      const outcome = await revokeAppPermissions(this.#graph(config), config, job.unlinked.facebookUserId);
      if (outcome.kind !== 'revoked') console.warn(`/logout: Facebook did not confirm the revocation: ${JSON.stringify(outcome)}`);
      message = logoutMessage(job.unlinked, outcome);
    }
    await this.#update((s) => logoutDone(s, job.id, message));
  }

  async #edit(applicationId: string, interactionToken: string, message: DiscordMessage): Promise<EditResult> {
    try {
      await this.#discord().editOriginalResponse(applicationId, interactionToken, message);
      return { kind: 'ok' };
    } catch (error) {
      const result = editResult(error);
      if (result.kind !== 'token-gone' && result.kind !== 'rate-limited') console.error(`Discord edit failed: ${describe(error)}`);
      return result;
    }
  }

  // ---- Plumbing ------------------------------------------------------------------------------------------------

  /** The provider's settings; undefined (and logged once, by config) when they went missing since /login. */
  #facebook(): FacebookSettings | undefined {
    const setting = facebookSetting(this.env);
    return setting?.ok ? setting.value : undefined;
  }

  #graph(config: FacebookSettings, timeoutMs?: number): GraphClient {
    return new GraphClient({ baseUrl: config.graphUrl, timeoutMs });
  }

  #discord(): DiscordRest {
    return new DiscordRest({ baseUrl: must(discordSetting(this.env)).apiUrl });
  }

  #app(config: FacebookSettings) {
    return { appId: config.appId, clientToken: config.clientToken };
  }

  async #load(): Promise<State> {
    // Objects stored by an earlier version lack the newer lists.
    return { ...emptyState(), recentStarts: this.#recentStarts, ...(await this.ctx.storage.get<State>(STATE_KEY)) };
  }

  async #save(state: State): Promise<void> {
    this.#recentStarts = state.recentStarts;
    await this.ctx.storage.put(STATE_KEY, state);
  }

  /** Saves, or when nothing is left (no login, no message owed) erases everything, alarm included. */
  async #store(state: State): Promise<void> {
    this.#recentStarts = state.recentStarts;
    if (isEmpty(state)) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.#save(state);
  }

  /** Applies an outcome to the state as it is now in storage: a /login or Cancel may have come in meanwhile. */
  async #update(apply: (state: State) => State): Promise<State> {
    const state = apply(await this.#load());
    await this.#store(state);
    return state;
  }
}

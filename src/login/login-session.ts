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
import { loadConfig, type Config } from '../config.ts';
import { DiscordApiError, DiscordRest, RateLimitedError, TokenGoneError } from '../discord/rest.ts';
import { fetchProfile, pollDeviceLoginStatus, requestDeviceAuthorization, type FacebookProfile } from '../facebook/device-login.ts';
import { GraphApiError, GraphClient } from '../facebook/graph.ts';
import type { Env } from '../env.ts';
import { linkNote } from '../links/link-note.ts';
import { linkAccount } from '../links/store.ts';
import {
  advance,
  cancelled,
  codeShown,
  deviceCodeFailed,
  deviceCodeIssued,
  emptyState,
  facebookDataErased,
  finalEditDone,
  loginSucceeded,
  nextStep,
  pollAnswered,
  pollStarted,
  profileFetchFailed,
  profileUnavailable,
  startLogin,
  type EditResult,
  type Session,
  type State,
  type StartLogin,
} from './session.ts';
import { codeMessage, conclusionMessage, erasedMessage, successMessage, type DiscordMessage } from './views.ts';

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
export type CancelResult = 'cancelled' | 'not-owner' | 'not-active';

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

function editResult(error: unknown): EditResult {
  if (error instanceof TokenGoneError) return { kind: 'token-gone' };
  if (error instanceof RateLimitedError) return { kind: 'rate-limited', retryAfterMs: error.retryAfterMs };
  if (error instanceof DiscordApiError && error.status !== 0 && error.status < 500) return { kind: 'rejected' };
  return { kind: 'transient' };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export class LoginSession extends DurableObject<Env> {
  /**
   * Facebook's access token between the poll that returned it and the profile call, keyed by session id. Kept
   * in memory only, on purpose: it is never stored. If the object restarts in between, the login reports that
   * the profile could not be read.
   */
  readonly #accessTokens = new Map<string, string>();

  // ---- RPC, called by the Worker ------------------------------------------------------------------------------

  /** A /login: stores everything the alarm needs, supersedes a login in progress, and sets the alarm for now. */
  async start(request: StartLoginRequest): Promise<void> {
    const now = Date.now();
    const state = startLogin(await this.#load(), { ...request, sessionId: randomId() }, now, conclusionMessage);
    await this.#save(state);
    await this.ctx.storage.setAlarm(now);
  }

  /** The Cancel button. Only the user who started the login may cancel it. */
  async cancel(sessionId: string, clickingUserId: string): Promise<CancelResult> {
    const state = await this.#load();
    const session = state.current;
    if (!session || session.id !== sessionId) return 'not-active';
    if (session.discordUserId !== clickingUserId) return 'not-owner';
    this.#accessTokens.delete(sessionId);
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
          case 'final-edit': {
            const result = await this.#edit(step.edit.applicationId, step.edit.interactionToken, step.edit.message);
            await this.#update((s) => finalEditDone(s, step.edit.id, result, Date.now()));
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
    const config = this.#config();
    try {
      const device = await requestDeviceAuthorization(this.#graph(config), this.#app(config), config.facebookScopes);
      await this.#update((s) => deviceCodeIssued(s, session.id, device, Date.now()));
    } catch (error) {
      const transient = !(error instanceof GraphApiError && error.status >= 400 && error.status < 500);
      console.error(`device login could not start: ${describe(error)}`);
      await this.#update((s) => deviceCodeFailed(s, session.id, transient, Date.now(), conclusionMessage));
    }
  }

  async #showCode(session: Session): Promise<void> {
    const result = await this.#edit(session.applicationId, session.interactionToken, codeMessage(session, session.device!));
    await this.#update((s) => codeShown(s, session.id, result, Date.now()));
  }

  async #poll(session: Session, now: number): Promise<void> {
    const config = this.#config();
    await this.#update((s) => pollStarted(s, session.id, now));
    const status = await pollDeviceLoginStatus(this.#graph(config, POLL_TIMEOUT_MS), this.#app(config), session.device!.code);
    if (status.kind === 'unavailable') console.warn(`device login poll failed: ${status.reason}`);
    const answer = status.kind === 'authorized' ? ({ kind: 'authorized' } as const) : status;
    const state = pollAnswered(await this.#load(), session.id, answer, Date.now(), conclusionMessage);
    // Keep the token only while its login is still the current one (a Cancel or a new /login may have come in).
    if (status.kind === 'authorized' && state.current?.id === session.id) this.#accessTokens.set(session.id, status.accessToken);
    await this.#store(state);
  }

  async #completeLogin(session: Session): Promise<void> {
    const accessToken = this.#accessTokens.get(session.id);
    if (!accessToken) {
      await this.#update((s) => profileUnavailable(s, session.id, 'profile-unavailable', conclusionMessage));
      return;
    }
    const config = this.#config();
    let profile: FacebookProfile;
    try {
      profile = await fetchProfile(this.#graph(config), accessToken, config.facebookAppSecret);
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
      if (state.current?.id !== session.id) this.#accessTokens.delete(session.id);
      return;
    }
    this.#accessTokens.delete(session.id);
    let message: DiscordMessage;
    try {
      const link = await linkAccount(this.env.DB, {
        discordUserId: session.discordUserId,
        facebookUserId: profile.id,
        name: profile.name,
        scopes: config.facebookScopes,
        now: Date.now(),
      });
      message = successMessage(profile, linkNote(link));
    } catch (error) {
      console.error(`link could not be saved: ${describe(error)}`);
      await this.#update((s) => profileUnavailable(s, session.id, 'link-unavailable', conclusionMessage));
      return;
    }
    await this.#update((s) => loginSucceeded(s, session.id, message, conclusionMessage));
  }

  async #edit(applicationId: string, interactionToken: string, message: DiscordMessage): Promise<EditResult> {
    try {
      await this.#discord(this.#config()).editOriginalResponse(applicationId, interactionToken, message);
      return { kind: 'ok' };
    } catch (error) {
      const result = editResult(error);
      if (result.kind !== 'token-gone' && result.kind !== 'rate-limited') console.error(`Discord edit failed: ${describe(error)}`);
      return result;
    }
  }

  // ---- Plumbing ------------------------------------------------------------------------------------------------

  #config(): Config {
    return loadConfig(this.env);
  }

  #graph(config: Config, timeoutMs?: number): GraphClient {
    return new GraphClient({ baseUrl: config.facebookGraphUrl, timeoutMs });
  }

  #discord(config: Config): DiscordRest {
    return new DiscordRest({ baseUrl: config.discordApiUrl });
  }

  #app(config: Config) {
    return { appId: config.facebookAppId, clientToken: config.facebookClientToken };
  }

  async #load(): Promise<State> {
    return (await this.ctx.storage.get<State>(STATE_KEY)) ?? emptyState();
  }

  async #save(state: State): Promise<void> {
    await this.ctx.storage.put(STATE_KEY, state);
  }

  /** Saves, or when nothing is left (no login, no message owed) erases everything, alarm included. */
  async #store(state: State): Promise<void> {
    if (!state.current && state.outbox.length === 0) {
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

/**
 * The login state machine, as pure functions: `state + event -> new state`, and `nextStep(state, now)` for what
 * the Durable Object must do next. No I/O, no clock, no provider names: the LoginSession Durable Object
 * (login-session.ts) keeps the state, asks for the next step, performs it, applies the outcome and stores it.
 *
 * One state per Discord user. `current` is the login in progress; `outbox` holds final edits still owed to
 * messages whose login (or logout) is over; `logouts` holds /logouts still to carry out. A login's secrets
 * (interaction token, device code) leave storage with it.
 */
import type { DeviceAuthorization, PollOutcome, ProviderId } from '../providers/types.ts';
import type { DiscordMessage } from './views.ts';

/** An interaction token can edit its message for 15 minutes. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** Stop using a token a little before Discord does, so the last edit never races the expiry. */
export const TOKEN_SAFETY_MARGIN_MS = 30_000;
/** RFC 8628 §3.5: after `slow_down`, the interval grows by 5 s for this and every later poll. */
export const SLOW_DOWN_INCREMENT_MS = 5_000;
/**
 * RFC 8628's `interval` is in whole seconds: a provider's answer with less (0.001) must not turn the login into
 * back-to-back polling.
 */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** Consecutive failures tolerated before the user is told the provider is not answering. */
export const MAX_DEVICE_REQUEST_FAILURES = 4;
export const MAX_POLL_FAILURES = 5;
/** Tries of the identity call after approval: the token is in memory and still good, so a retry is worth it. */
export const MAX_PROFILE_TRIES = 3;
/** Longest wait between polls after failures (bounded backoff). */
export const MAX_POLL_BACKOFF_MS = 60_000;
/** Right after a deferred answer Discord sometimes reports the token unknown for a few seconds. */
export const EARLY_TOKEN_GRACE_MS = 10_000;
export const MAX_DISCORD_FAILURES = 4;
/** `/login` abuse limit: at most this many starts per user within {@link LOGIN_RATE_WINDOW_MS}. */
export const MAX_LOGINS_PER_WINDOW = 3;
export const LOGIN_RATE_WINDOW_MS = 60_000;

export interface DeviceCode {
  /** Secret: sent only to the provider. */
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  issuedAt: number;
  expiresAt: number;
  intervalMs: number;
}

/** How a login went, for the one structured log line written when it is over (no token, code or name). */
export interface LoginStats {
  polls: number;
  slowDowns: number;
  transientFailures: number;
  /** Edits of the login's message sent, and how many of them had to be sent again. */
  discordEdits: number;
  discordRetries: number;
  /** When the provider's answer said the user approved. */
  approvedAt?: number;
  /** Which path completed the login. */
  path?: 'device' | 'browser';
}

/**
 * The browser path of a login (the authorization code grant, hosted by the Worker): the ticket in the "in the
 * browser" button, and once the browser started, what its callback must match. All single use.
 */
export interface BrowserAttempt {
  /** Secret: whoever holds it may start this login in a browser. Opaque, random; in the button's URL. */
  ticket: string;
  /** The ticket was used to start: a second use is refused. */
  started?: {
    /** SHA-256 (hex) of the `state` sent to the provider and of the cookie set in that browser. */
    stateHash: string;
    cookieHash: string;
    /** Secret (PKCE, RFC 7636): sent to the provider with the code. */
    codeVerifier: string;
    nonce: string;
    startedAt: number;
  };
  /** The callback came and was accepted: the device code is no longer polled, and a second callback is refused. */
  consumed?: boolean;
}

export interface Session {
  id: string;
  provider: ProviderId;
  /** `web`: a login started from a web page (Linked Roles) without a Discord message to edit. */
  origin?: 'web';
  browser?: BrowserAttempt;
  /** The provider's display name and colour when the login started (its messages use them). */
  providerName: string;
  providerColor: number;
  discordUserId: string;
  /** Who the user is in Discord, for the browser login's confirmation page (absent in logins stored before). */
  discordUser?: DiscordUserName;
  applicationId: string;
  interactionToken: string;
  locale: string;
  startedAt: number;
  device?: DeviceCode;
  /**
   * When the last poll's answer came back: the next poll is an interval after it, so polls stay an interval apart
   * as the provider sees them, whatever the network's jitter. Kept in memory; after a restart the object cannot
   * know whether a poll was in flight, so it counts from the restart (see {@link resumed}).
   */
  lastPollAt?: number;
  /** Consecutive transient failures of the provider step in progress. */
  failures: number;
  /** After a transient failure, the step waits until then. */
  retryAt?: number;
  /** The provider approved the login (the token itself is never stored). */
  authorizedAt?: number;
  /** The code message has been shown in Discord. */
  codeShown: boolean;
  /** Discord refused the code message: show the code as plain text instead. */
  codeFallback?: boolean;
  discordFailures: number;
  discordRetryAt?: number;
  stats: LoginStats;
}

/** The structured report of a finished login, kept with its final message until that is delivered. */
export interface LoginReport {
  provider: ProviderId;
  outcome: string;
  startedAt: number;
  stats: LoginStats;
}

/** A final message owed to an interaction whose login (or /logout) is over. */
export interface FinalEdit {
  id: string;
  /**
   * How the login ended (a success message names the account, which matters when erasing data), or `logout` for
   * the outcome of a /logout.
   */
  kind: Conclusion['kind'] | 'erased' | 'logout';
  /** The provider whose account a success message names. */
  provider?: ProviderId;
  /**
   * Bumped whenever `message` is replaced, so that the answer to an edit sent with an older message never removes
   * the newer one from the outbox.
   */
  revision: number;
  applicationId: string;
  interactionToken: string;
  /** The language its messages are in (a catalog's tag). */
  locale: string;
  startedAt: number;
  message: DiscordMessage;
  failures: number;
  notBefore?: number;
  report?: LoginReport;
}

/** The account a /logout removed, kept only until the provider was asked to revoke the app's access. */
export interface UnlinkedAccount {
  subject: string;
  name: string;
}

/** A deferred /logout: unlink (D1), then revoke at the provider, then edit the reply with what happened. */
export interface LogoutJob {
  id: string;
  provider: ProviderId;
  discordUserId: string;
  applicationId: string;
  interactionToken: string;
  /** The language of the reply (a catalog's tag). */
  locale: string;
  startedAt: number;
  /** Set once the link is deleted: `null` when there was none. Recorded so that a re-run never says "not linked". */
  unlinked?: UnlinkedAccount | null;
}

/**
 * The user's Linked Roles are owed an update (their links changed): pushed after the interaction is answered,
 * with Discord's 429 and 5xx retried a bounded number of times. `forget`: the user has no link left, so the
 * stored Discord grant is deleted (and revoked) after the last push.
 */
export interface RoleConnectionPush {
  discordUserId: string;
  /** Which request this is: a push attempted while a newer one was requested must not clear the newer one. */
  seq?: number;
  attempts: number;
  notBefore?: number;
  /** A /logout removed the last link: forget the Discord grant after the push (if still no link by then). */
  forget?: boolean;
  /** Discord users whose link this user's login took over: their Linked Roles owe an update too. */
  notify?: string[];
}

/** Attempts of one role-connection push before giving up (the next change of the links pushes again). */
export const MAX_PUSH_ATTEMPTS = 5;

export interface State {
  current?: Session;
  outbox: FinalEdit[];
  logouts: LogoutJob[];
  push?: RoleConnectionPush;
  /**
   * When this user's recent /login starts were accepted (for the rate limit). They do not keep the object's
   * storage alive: when nothing else is left, the object forgets everything and keeps these in memory only.
   */
  recentStarts: number[];
}

export const emptyState = (): State => ({ outbox: [], logouts: [], recentStarts: [] });

/** Nothing left to do: the object may erase its storage (the rate limit's timestamps stay in memory). */
export const isEmpty = (state: State) => !state.current && state.outbox.length === 0 && state.logouts.length === 0 && !state.push;

/** How a login ended, and what its message says. */
export type Conclusion =
  | { kind: 'declined' }
  | { kind: 'expired' }
  | { kind: 'replaced' }
  | { kind: 'failed'; reason: FailureReason }
  | { kind: 'success'; message: DiscordMessage };

export type FailureReason =
  /** The provider did not answer (network, timeouts, 5xx), several times in a row. */
  | 'provider-unavailable'
  /** The provider refused to start a device login for this app (its settings there). */
  | 'provider-rejected'
  /** A poll got an error the protocol does not expect (logged by name). */
  | 'provider-error'
  /** The provider no longer knows the device code (its answer was probably lost on the way). */
  | 'code-rejected'
  /** Approved, but who logged in could not be read (or the token was lost with a restart). */
  | 'profile-unavailable'
  /** Approved and read, but the link could not be saved. */
  | 'link-unavailable';

/** Renders the final message of a concluded login. Injected so this module stays free of presentation. */
export type RenderConclusion = (conclusion: Conclusion, session: Session) => DiscordMessage;

export type Step =
  | { kind: 'identify'; session: Session }
  | { kind: 'show-code'; session: Session }
  | { kind: 'request-device-code'; session: Session }
  | { kind: 'poll'; session: Session }
  | { kind: 'final-edit'; edit: FinalEdit }
  | { kind: 'logout'; job: LogoutJob }
  | { kind: 'push'; push: RoleConnectionPush }
  | { kind: 'sleep'; until: number }
  | { kind: 'idle' };

const tokenUsableUntil = (startedAt: number) => startedAt + TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;
/** The login outlived its interaction token: it is dropped (see {@link advance}). */
const tokenRunOut = (session: Session, now: number) => now >= tokenUsableUntil(session.startedAt);
/** Its device code expired before either path was approved: it ends as expired (see {@link advance}). */
const codeExpired = (session: Session, now: number) =>
  session.device !== undefined && session.authorizedAt === undefined && !session.browser?.consumed && now >= session.device.expiresAt;
/** Time left for the final edit of a login that ends because its interaction token is running out. */
export const FINAL_EDIT_MARGIN_MS = 30_000;

const emptyStats = (): LoginStats => ({ polls: 0, slowDowns: 0, transientFailures: 0, discordEdits: 0, discordRetries: 0 });

/** When the next poll of `session` is allowed: one interval after the previous poll's answer (or the code). */
export function pollDueAt(session: Session): number | undefined {
  const device = session.device;
  if (!device) return undefined;
  return Math.max((session.lastPollAt ?? device.issuedAt) + device.intervalMs, session.retryAt ?? 0);
}

const outcomeName = (conclusion: Conclusion) => (conclusion.kind === 'failed' ? `failed:${conclusion.reason}` : conclusion.kind);

function conclude(state: State, conclusion: Conclusion, render: RenderConclusion): State {
  const session = state.current;
  if (!session) return state;
  // A login begun on the web has no message to edit.
  if (session.origin === 'web') return { ...state, current: undefined };
  const edit: FinalEdit = {
    id: session.id,
    kind: conclusion.kind,
    provider: session.provider,
    revision: 0,
    applicationId: session.applicationId,
    interactionToken: session.interactionToken,
    locale: session.locale,
    startedAt: session.startedAt,
    message: render(conclusion, session),
    failures: 0,
    report: { provider: session.provider, outcome: outcomeName(conclusion), startedAt: session.startedAt, stats: session.stats },
  };
  return { ...state, current: undefined, outbox: [...state.outbox.filter((e) => e.id !== session.id), edit] };
}

function updateCurrent(state: State, sessionId: string, change: (session: Session) => Session): State {
  if (state.current?.id !== sessionId) return state;
  return { ...state, current: change(state.current) };
}

// ---------------------------------------------------------------------------------------------------------------
// Events

/** A Discord user's names as Discord gave them: `username` is unique, `globalName` is whatever they chose. */
export interface DiscordUserName {
  username: string;
  globalName?: string | undefined;
}

export interface StartLogin {
  sessionId: string;
  /** The browser button's ticket, when the provider has a browser login and the site is set up. */
  browserTicket?: string;
  origin?: 'web';
  provider: ProviderId;
  providerName: string;
  providerColor: number;
  discordUserId: string;
  discordUser?: DiscordUserName;
  applicationId: string;
  interactionToken: string;
  locale: string;
}

/** When the user may start another login: `undefined` now, else the time. */
export function loginAllowedAt(state: State, now: number): number | undefined {
  const recent = state.recentStarts.filter((at) => at > now - LOGIN_RATE_WINDOW_MS);
  if (recent.length < MAX_LOGINS_PER_WINDOW) return undefined;
  return recent[recent.length - MAX_LOGINS_PER_WINDOW]! + LOGIN_RATE_WINDOW_MS;
}

/**
 * A /login: starts a session; one in progress (at any provider) is superseded: its message will say so, its code
 * is dropped. The caller checks {@link loginAllowedAt} first.
 */
export function startLogin(state: State, start: StartLogin, now: number, render: RenderConclusion): State {
  const superseded = conclude(state, { kind: 'replaced' }, render);
  return {
    ...superseded,
    // Only /login counts toward its limit; a web login (the Linked Roles page) calls no provider until it is used.
    recentStarts: start.origin === 'web' ? state.recentStarts : [...state.recentStarts.filter((at) => at > now - LOGIN_RATE_WINDOW_MS), now],
    current: {
      id: start.sessionId,
      ...(start.origin ? { origin: start.origin } : {}),
      ...(start.browserTicket ? { browser: { ticket: start.browserTicket } } : {}),
      provider: start.provider,
      providerName: start.providerName,
      providerColor: start.providerColor,
      discordUserId: start.discordUserId,
      ...(start.discordUser ? { discordUser: start.discordUser } : {}),
      applicationId: start.applicationId,
      interactionToken: start.interactionToken,
      locale: start.locale,
      startedAt: now,
      failures: 0,
      codeShown: false,
      discordFailures: 0,
      stats: emptyStats(),
    },
  };
}

/** A device code as the provider issued it. */
export type IssuedDeviceCode = DeviceAuthorization;

export function deviceCodeIssued(state: State, sessionId: string, device: IssuedDeviceCode, now: number): State {
  return updateCurrent(state, sessionId, (session) => ({
    ...session,
    device: {
      deviceCode: device.deviceCode,
      userCode: device.userCode,
      verificationUri: device.verificationUri,
      ...(device.verificationUriComplete ? { verificationUriComplete: device.verificationUriComplete } : {}),
      issuedAt: now,
      // A code that outlives the interaction token (Google's 30 minutes) ends, and says so, while the message can
      // still be edited: the message shows this time, and "Code expired" is sent at it.
      expiresAt: Math.min(now + device.expiresInSeconds * 1000, tokenUsableUntil(session.startedAt) - FINAL_EDIT_MARGIN_MS),
      intervalMs: Math.max(device.intervalSeconds * 1000, MIN_POLL_INTERVAL_MS),
    },
    failures: 0,
    retryAt: undefined,
  }));
}

/** Asking the provider for a device code failed; `transient` failures are retried with backoff, a few times. */
export function deviceCodeFailed(state: State, sessionId: string, transient: boolean, now: number, render: RenderConclusion): State {
  const session = state.current;
  if (session?.id !== sessionId) return state;
  const failures = session.failures + 1;
  if (!transient) return conclude(state, { kind: 'failed', reason: 'provider-rejected' }, render);
  if (failures >= MAX_DEVICE_REQUEST_FAILURES) return conclude(state, { kind: 'failed', reason: 'provider-unavailable' }, render);
  return updateCurrent(state, sessionId, (s) => ({ ...s, failures, retryAt: now + 2_000 * 2 ** (failures - 1) }));
}

/** The outcome of a poll, without the grant (which stays with the shell, in memory). */
export type PollAnswer = Exclude<PollOutcome, { kind: 'authorized' }> | { kind: 'authorized' };

/** The provider answered the poll at `now`, which the next poll is measured from. */
export function pollAnswered(state: State, sessionId: string, answer: PollAnswer, now: number, render: RenderConclusion): State {
  const current = state.current;
  if (current?.id !== sessionId || !current.device || current.authorizedAt !== undefined) return state;
  const stats = { ...current.stats, polls: current.stats.polls + 1 };
  const session: Session = { ...current, lastPollAt: now, stats };
  state = { ...state, current: session };
  switch (answer.kind) {
    case 'pending':
      return updateCurrent(state, sessionId, (s) => ({ ...s, failures: 0, retryAt: undefined }));
    case 'slow_down': {
      const device = session.device!;
      const intervalMs = Math.max(device.intervalMs + SLOW_DOWN_INCREMENT_MS, (answer.intervalSeconds ?? 0) * 1000);
      return updateCurrent(state, sessionId, (s) => ({
        ...s,
        failures: 0,
        retryAt: undefined,
        device: { ...device, intervalMs },
        stats: { ...stats, slowDowns: stats.slowDowns + 1 },
      }));
    }
    case 'declined':
      return conclude(state, { kind: 'declined' }, render);
    case 'expired':
      return conclude(state, { kind: 'expired' }, render);
    case 'fatal':
      return conclude(state, { kind: 'failed', reason: answer.codeRejected ? 'code-rejected' : 'provider-error' }, render);
    case 'authorized':
      return updateCurrent(state, sessionId, (s) => ({ ...s, authorizedAt: now, failures: 0, retryAt: undefined, stats: { ...stats, approvedAt: now, path: 'device' } }));
    case 'transient': {
      const failures = session.failures + 1;
      const failed = { ...state, current: { ...session, stats: { ...stats, transientFailures: stats.transientFailures + 1 } } };
      if (failures >= MAX_POLL_FAILURES) return conclude(failed, { kind: 'failed', reason: 'provider-unavailable' }, render);
      const backoff = Math.max(Math.min(current.device.intervalMs * 2 ** failures, MAX_POLL_BACKOFF_MS), answer.retryAfterMs ?? 0);
      return updateCurrent(failed, sessionId, (s) => ({ ...s, failures, retryAt: now + backoff }));
    }
  }
}

/** Who logged in was read and the account linked: the login succeeded. */
export function loginSucceeded(state: State, sessionId: string, message: DiscordMessage, render: RenderConclusion): State {
  if (state.current?.id !== sessionId) return state;
  return conclude(state, { kind: 'success', message }, render);
}

/**
 * The provider approved, but the login cannot complete: who logged in could not be read (or the token was lost
 * with a restart), or the link could not be saved.
 */
export function profileUnavailable(
  state: State,
  sessionId: string,
  reason: 'profile-unavailable' | 'link-unavailable',
  render: RenderConclusion,
): State {
  if (state.current?.id !== sessionId) return state;
  return conclude(state, { kind: 'failed', reason }, render);
}

/**
 * Reading who logged in failed in a way worth retrying (timeout, network, 5xx): try again shortly, keeping the
 * approval, and give up after {@link MAX_PROFILE_TRIES} tries.
 */
export function profileFetchFailed(state: State, sessionId: string, now: number, render: RenderConclusion): State {
  const session = state.current;
  if (session?.id !== sessionId) return state;
  const failures = session.failures + 1;
  if (failures >= MAX_PROFILE_TRIES) return conclude(state, { kind: 'failed', reason: 'profile-unavailable' }, render);
  return updateCurrent(state, sessionId, (s) => ({ ...s, failures, retryAt: now + 1_000 * 2 ** (failures - 1) }));
}

/**
 * The user's data at `provider` was erased (they removed the app, or asked for deletion): a success message
 * still waiting to be shown names their account there, so it is replaced by `erased`.
 */
export function accountErased(state: State, provider: ProviderId, erased: (edit: FinalEdit) => DiscordMessage): State {
  const names = (edit: FinalEdit) => edit.kind === 'success' && edit.provider === provider;
  if (!state.outbox.some(names)) return state;
  return {
    ...state,
    outbox: state.outbox.map((edit) => (names(edit) ? { ...edit, kind: 'erased', message: erased(edit), revision: edit.revision + 1, failures: 0 } : edit)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The browser path

export type BrowserCheck = 'ok' | 'invalid' | 'invalid-state' | 'used' | 'finished';

/** Whether `ticket` may start this login in a browser now (for `provider`; a web login takes any). */
export function browserTicketCheck(state: State, ticket: string, provider: ProviderId, now: number): BrowserCheck {
  const session = state.current;
  if (!session?.browser || session.browser.ticket !== ticket) return 'finished';
  // Over by the clock, even if the alarm that ends it has not run yet.
  if (tokenRunOut(session, now) || codeExpired(session, now)) return 'finished';
  if (session.origin !== 'web' && session.provider !== provider) return 'invalid';
  if (session.browser.started || session.authorizedAt !== undefined) return 'used';
  return 'ok';
}

/** The browser was sent to the provider: the ticket is spent, and the callback must bring back these. */
export function browserStarted(state: State, sessionId: string, provider: ProviderId, started: NonNullable<BrowserAttempt['started']>): State {
  return updateCurrent(state, sessionId, (s) => ({ ...s, provider: s.origin === 'web' ? provider : s.provider, browser: { ...s.browser!, started } }));
}

/** Whether a callback with this state and cookie (their hashes) belongs to this login's browser attempt. */
export function browserCallbackCheck(state: State, stateHash: string, cookieHash: string | undefined, now: number): BrowserCheck {
  const started = state.current?.browser?.started;
  if (!started || tokenRunOut(state.current!, now) || codeExpired(state.current!, now)) return 'finished';
  // This login's browser attempt is live, but this is not its state (a damaged or forged one).
  if (started.stateHash !== stateHash) return 'invalid-state';
  if (cookieHash === undefined || started.cookieHash !== cookieHash) return 'invalid';
  if (state.current!.browser!.consumed) return 'used';
  // The device code was approved first: that path won.
  if (state.current!.authorizedAt !== undefined) return 'finished';
  return 'ok';
}

/** The callback was accepted (single use): polling stops; the code is being exchanged. */
export function browserCallbackAccepted(state: State, sessionId: string, now: number): State {
  return updateCurrent(state, sessionId, (s) => ({
    ...s,
    browser: { ...s.browser!, consumed: true },
    stats: { ...s.stats, approvedAt: now, path: 'browser' },
  }));
}

/** The user declined at the provider, in the browser. */
export function browserDeclined(state: State, sessionId: string, render: RenderConclusion): State {
  if (state.current?.id !== sessionId) return state;
  return conclude(state, { kind: 'declined' }, render);
}

/** The code could not be exchanged, or who logged in could not be read: the login ends. */
export function browserFailed(state: State, sessionId: string, render: RenderConclusion): State {
  if (state.current?.id !== sessionId) return state;
  return conclude(state, { kind: 'failed', reason: 'provider-error' }, render);
}

/** The owner cancelled: the Worker shows "cancelled" itself (type 7), so nothing is owed to the message. */
export function cancelled(state: State, sessionId: string): State {
  if (state.current?.id !== sessionId) return state;
  return { ...state, current: undefined };
}

/**
 * The object restarted (evicted, or killed mid-step) and reloaded this state from storage. A poll may have been
 * in flight when it went down, reaching the provider at an unknown moment before now: the next poll waits a full
 * interval from now. A login approved before the restart lost its token (it lives in memory only): the identity
 * step finds none and ends the login with a "try again".
 */
export function resumed(state: State, now: number): State {
  const session = state.current;
  // A browser's code was being exchanged when the object went down: the answer went with it, so the identity
  // step (finding no token) ends the login with a "try again" rather than leaving it waiting for nothing.
  if (session?.browser?.consumed && session.authorizedAt === undefined) return { ...state, current: { ...session, authorizedAt: now } };
  if (!session?.device || session.authorizedAt !== undefined) return state;
  return { ...state, current: { ...session, lastPollAt: Math.max(session.lastPollAt ?? 0, now) } };
}

/** A /logout, deferred: the reply is edited with its outcome once the link is gone and the provider was asked. */
export function logoutRequested(state: State, job: Omit<LogoutJob, 'unlinked'>): State {
  return { ...state, logouts: [...state.logouts.filter((j) => j.id !== job.id), job] };
}

/** The link is deleted (or there was none): recorded before the provider is asked to revoke. */
export function logoutUnlinked(state: State, jobId: string, unlinked: UnlinkedAccount | null): State {
  return { ...state, logouts: state.logouts.map((job) => (job.id === jobId ? { ...job, unlinked } : job)) };
}

/** The logout is complete: its reply is owed, with `message`. */
export function logoutDone(state: State, jobId: string, message: DiscordMessage): State {
  const job = state.logouts.find((j) => j.id === jobId);
  if (!job) return state;
  const edit: FinalEdit = {
    id: job.id,
    kind: 'logout',
    revision: 0,
    applicationId: job.applicationId,
    interactionToken: job.interactionToken,
    locale: job.locale,
    startedAt: job.startedAt,
    message,
    failures: 0,
  };
  return { ...state, logouts: state.logouts.filter((j) => j.id !== jobId), outbox: [...state.outbox, edit] };
}

/** The user's links changed: their Linked Roles are owed a push (one pending push covers every change). */
export function pushRequested(state: State, discordUserId: string, options: { forget?: boolean; notify?: string } = {}): State {
  const owed = state.push;
  const seq = (owed?.seq ?? 0) + 1;
  const notify = [...new Set([...(owed?.notify ?? []), ...(options.notify ? [options.notify] : [])])];
  return {
    ...state,
    push: {
      discordUserId,
      seq,
      attempts: 0,
      // Discord asked to wait (429): a newer change waits too.
      ...(owed?.notBefore !== undefined ? { notBefore: owed.notBefore } : {}),
      ...(options.forget || owed?.forget ? { forget: true } : {}),
      ...(notify.length ? { notify } : {}),
    },
  };
}

/** Whether this attempt ends the push: it was made, failed for good, or was the last one allowed. */
export const pushSettled = (push: RoleConnectionPush, retryAfterMs: number | undefined) => retryAfterMs === undefined || push.attempts + 1 >= MAX_PUSH_ATTEMPTS;

/**
 * The push `attempted` was made, or failed for good: nothing more is owed. `retryAfterMs`: try again then
 * (bounded). A newer request made while it was in flight stays owed: what was pushed may predate its change.
 */
export function pushAttempted(state: State, attempted: RoleConnectionPush, retryAfterMs: number | undefined, now: number): State {
  const push = state.push;
  if (!push) return state;
  if (push.seq !== attempted.seq) {
    // A newer request came in while this one was out: it still owes its push, but after the wait Discord asked for.
    return retryAfterMs === undefined ? state : { ...state, push: { ...push, notBefore: Math.max(push.notBefore ?? 0, now + retryAfterMs) } };
  }
  if (retryAfterMs === undefined || pushSettled(push, retryAfterMs)) {
    const { push: _done, ...rest } = state;
    return rest;
  }
  return { ...state, push: { ...push, attempts: push.attempts + 1, notBefore: now + retryAfterMs } };
}

/** What a Discord edit came back with. */
export type EditResult =
  | { kind: 'ok' }
  | { kind: 'token-gone' }
  | { kind: 'rate-limited'; retryAfterMs: number }
  /** Timeouts, network failures, 5xx after the REST client's own retries. */
  | { kind: 'transient' }
  /** Any other 4xx: retrying the same edit cannot help. */
  | { kind: 'rejected' };

interface DiscordDelivery {
  startedAt: number;
  failures: number;
}

/** Shared policy for a failed edit: undefined means give up on this message. */
function retryEditAt(target: DiscordDelivery, result: EditResult, now: number): { at: number; failures: number } | undefined {
  switch (result.kind) {
    case 'ok':
    case 'rejected':
      return undefined;
    case 'rate-limited':
      return { at: now + result.retryAfterMs, failures: target.failures };
    case 'token-gone':
      // Unknown Webhook right after the deferred answer usually means "not ready yet"; later it means gone.
      if (now - target.startedAt >= EARLY_TOKEN_GRACE_MS || target.failures + 1 >= MAX_DISCORD_FAILURES) return undefined;
      return { at: now + 1_500, failures: target.failures + 1 };
    case 'transient':
      if (target.failures + 1 >= MAX_DISCORD_FAILURES) return undefined;
      return { at: now + 5_000 * 2 ** target.failures, failures: target.failures + 1 };
  }
}

export function codeShown(state: State, sessionId: string, result: EditResult, now: number): State {
  const session = state.current;
  if (session?.id !== sessionId) return state;
  const stats = { ...session.stats, discordEdits: session.stats.discordEdits + 1, discordRetries: session.stats.discordRetries + (result.kind === 'ok' ? 0 : 1) };
  if (result.kind === 'ok') {
    return updateCurrent(state, sessionId, (s) => ({ ...s, codeShown: true, discordFailures: 0, discordRetryAt: undefined, stats }));
  }
  // Discord refused the message itself (a 4xx): the same message cannot succeed, a plain one may.
  if (result.kind === 'rejected' && !session.codeFallback) {
    return updateCurrent(state, sessionId, (s) => ({ ...s, codeFallback: true, discordFailures: 0, discordRetryAt: undefined, stats }));
  }
  const retry = retryEditAt({ startedAt: session.startedAt, failures: session.discordFailures }, result, now);
  // The user cannot see the code and never will: end the login and forget it.
  if (!retry) return { ...state, current: undefined };
  return updateCurrent(state, sessionId, (s) => ({ ...s, discordFailures: retry.failures, discordRetryAt: retry.at, stats }));
}

/**
 * The answer to the final edit sent with `revision` of the message. When the message was replaced meanwhile (the
 * user's data was erased while the edit was in flight), the entry stays: the newer message is still owed.
 */
export function finalEditDone(state: State, editId: string, revision: number, result: EditResult, now: number): State {
  const edit = state.outbox.find((e) => e.id === editId);
  if (!edit || edit.revision !== revision) return state;
  const retry = retryEditAt(edit, result, now);
  const outbox = retry
    ? state.outbox.map((e) => (e.id === editId ? { ...e, failures: retry.failures, notBefore: retry.at } : e))
    : state.outbox.filter((e) => e.id !== editId);
  return { ...state, outbox };
}

/**
 * The one log line of a finished login: outcome, counts and durations, never a token, a code or a name. `result`
 * is how its final edit went; the line is written when the edit is delivered or given up.
 */
export function loginReportLine(edit: FinalEdit, result: EditResult, now: number): Record<string, unknown> | undefined {
  const report = edit.report;
  if (!report) return undefined;
  const stats = report.stats;
  return {
    event: 'login',
    provider: report.provider,
    outcome: edit.kind === 'erased' ? 'erased' : report.outcome,
    polls: stats.polls,
    slowDowns: stats.slowDowns,
    transientFailures: stats.transientFailures,
    discordEdits: stats.discordEdits + edit.failures + 1,
    discordRetries: stats.discordRetries + edit.failures,
    finalEdit: result.kind,
    durationMs: now - report.startedAt,
    approvalToEditMs: stats.approvedAt !== undefined && result.kind === 'ok' ? now - stats.approvedAt : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Time

/**
 * Applies what time alone decides: a device code past its expiry ends the login as expired; a token past its
 * life can no longer edit anything, so its login or final edit is dropped.
 */
export function advance(state: State, now: number, render: RenderConclusion): State {
  let next = state;
  const current = next.current;
  if (current && tokenRunOut(current, now)) next = { ...next, current: undefined };
  else if (current && codeExpired(current, now)) next = conclude(next, { kind: 'expired' }, render);
  const live = next.outbox.filter((edit) => now < tokenUsableUntil(edit.startedAt));
  if (live.length !== next.outbox.length) next = { ...next, outbox: live };
  const starts = next.recentStarts.filter((at) => at > now - LOGIN_RATE_WINDOW_MS);
  if (starts.length !== next.recentStarts.length) next = { ...next, recentStarts: starts };
  return next;
}

/** What to do next. Call after {@link advance}. Steps that can run now come first, most urgent first. */
export function nextStep(state: State, now: number): Step {
  // A logout's work is done first, and even when its reply can no longer be edited: the user asked for it.
  const job = state.logouts[0];
  if (job) return { kind: 'logout', job };
  const wakeups: number[] = [];
  const session = state.current;
  if (session) {
    if (session.authorizedAt !== undefined) {
      if ((session.retryAt ?? 0) <= now) return { kind: 'identify', session };
      wakeups.push(session.retryAt!);
    } else if (session.origin === 'web' || session.browser?.consumed) {
      // Nothing to poll: a web login waits for its browser; a consumed callback is being exchanged.
    } else {
      if (session.device && !session.codeShown) {
        if ((session.discordRetryAt ?? 0) <= now) return { kind: 'show-code', session };
        wakeups.push(session.discordRetryAt!);
      }
      if (!session.device) {
        if ((session.retryAt ?? 0) <= now) return { kind: 'request-device-code', session };
        wakeups.push(session.retryAt!);
      } else {
        const due = pollDueAt(session)!;
        if (due <= now) return { kind: 'poll', session };
        wakeups.push(Math.min(due, session.device.expiresAt));
      }
    }
    wakeups.push(tokenUsableUntil(session.startedAt));
  }
  for (const edit of state.outbox) {
    if ((edit.notBefore ?? 0) <= now) return { kind: 'final-edit', edit };
    wakeups.push(edit.notBefore!, tokenUsableUntil(edit.startedAt));
  }
  if (state.push) {
    if ((state.push.notBefore ?? 0) <= now) return { kind: 'push', push: state.push };
    wakeups.push(state.push.notBefore!);
  }
  if (wakeups.length === 0) return { kind: 'idle' };
  return { kind: 'sleep', until: Math.min(...wakeups) };
}

/**
 * The login state machine, as pure functions: `state + event -> new state`, and `nextStep(state, now)` for what
 * the Durable Object must do next. No I/O, no clock: the LoginSession Durable Object (login-session.ts) loads the
 * state, asks for the next step, performs it, applies the outcome and stores the result.
 *
 * One state per Discord user. `current` is the login in progress; `outbox` holds final edits still owed to
 * messages whose login is over (declined, expired, success, replaced by a newer /login, ...). A login's secrets
 * (interaction token, device code) leave storage with it.
 */
import type { DeviceAuthorization, DeviceLoginStatus } from '../facebook/device-login.ts';
import type { DiscordMessage } from './views.ts';

/** An interaction token can edit its message for 15 minutes. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** Stop using a token a little before Discord does, so the last edit never races the expiry. */
export const TOKEN_SAFETY_MARGIN_MS = 30_000;
/** RFC 8628 §3.5: after `slow_down`, the interval grows by 5 s for this and every later poll. */
export const SLOW_DOWN_INCREMENT_MS = 5_000;
/** Consecutive failures tolerated before the user is told Facebook is not answering. */
export const MAX_DEVICE_REQUEST_FAILURES = 4;
export const MAX_POLL_FAILURES = 5;
/** Tries of `/me` after approval: the token is in memory and still good, so a slow Graph is worth a retry. */
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
  /** Sent only to Facebook. */
  code: string;
  userCode: string;
  verificationUri: string;
  issuedAt: number;
  expiresAt: number;
  intervalMs: number;
}

export interface Session {
  id: string;
  discordUserId: string;
  applicationId: string;
  interactionToken: string;
  locale: string;
  startedAt: number;
  device?: DeviceCode;
  /**
   * When the last poll was sent (written before it is sent), then when its answer came back. Anchoring the next
   * poll on the answer's arrival keeps polls at least an interval apart as Facebook sees them, whatever the
   * network's jitter.
   */
  lastPollAt?: number;
  /** A poll was sent and its answer has not been recorded: the object may have died while it was in flight. */
  pollInFlight?: boolean;
  /** Consecutive transient failures of the Facebook step in progress. */
  failures: number;
  /** After a transient failure, the step waits until then. */
  retryAt?: number;
  /** Facebook approved the login (the token itself is never stored). */
  authorizedAt?: number;
  /** The code message has been shown in Discord. */
  codeShown: boolean;
  /** Discord refused the code message: show the code as plain text instead. */
  codeFallback?: boolean;
  discordFailures: number;
  discordRetryAt?: number;
}

/** A final message owed to an interaction whose login is over. */
export interface FinalEdit {
  id: string;
  /**
   * How the login ended (a success message names the Facebook account, which matters when erasing data), or
   * `logout` for the outcome of a /logout.
   */
  kind: Conclusion['kind'] | 'erased' | 'logout';
  /**
   * Bumped whenever `message` is replaced, so that the answer to an edit sent with an older message never removes
   * the newer one from the outbox.
   */
  revision: number;
  applicationId: string;
  interactionToken: string;
  startedAt: number;
  message: DiscordMessage;
  failures: number;
  notBefore?: number;
}

/** The account a /logout removed, kept only until the provider was asked to revoke the app's access. */
export interface UnlinkedAccount {
  facebookUserId: string;
  name: string;
}

/** A deferred /logout: unlink (D1), then revoke at the provider, then edit the reply with what happened. */
export interface LogoutJob {
  id: string;
  discordUserId: string;
  applicationId: string;
  interactionToken: string;
  startedAt: number;
  /** Set once the link is deleted: `null` when there was none. Recorded so that a re-run never says "not linked". */
  unlinked?: UnlinkedAccount | null;
}

export interface State {
  current?: Session;
  outbox: FinalEdit[];
  logouts: LogoutJob[];
  /**
   * When this user's recent /login starts were accepted (for the rate limit). They do not keep the object's
   * storage alive: when nothing else is left, the object forgets everything and keeps these in memory only.
   */
  recentStarts: number[];
}

export const emptyState = (): State => ({ outbox: [], logouts: [], recentStarts: [] });

/** Nothing left to do: the object may erase its storage (the rate limit's timestamps stay in memory). */
export const isEmpty = (state: State) => !state.current && state.outbox.length === 0 && state.logouts.length === 0;

/** How a login ended, and what its message says. */
export type Conclusion =
  | { kind: 'declined' }
  | { kind: 'expired' }
  | { kind: 'replaced' }
  | { kind: 'failed'; reason: FailureReason }
  | { kind: 'success'; message: DiscordMessage };

export type FailureReason = 'facebook-unavailable' | 'facebook-rejected' | 'code-rejected' | 'profile-unavailable' | 'link-unavailable';

/** Renders the final message of a concluded login. Injected so this module stays free of presentation. */
export type RenderConclusion = (conclusion: Conclusion, session: Session) => DiscordMessage;

export type Step =
  | { kind: 'fetch-profile'; session: Session }
  | { kind: 'show-code'; session: Session }
  | { kind: 'request-device-code'; session: Session }
  | { kind: 'poll'; session: Session }
  | { kind: 'final-edit'; edit: FinalEdit }
  | { kind: 'logout'; job: LogoutJob }
  | { kind: 'sleep'; until: number }
  | { kind: 'idle' };

const tokenUsableUntil = (startedAt: number) => startedAt + TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;

/**
 * When the next poll of `session` is allowed: one interval after the previous poll's answer (or after the code
 * was issued). A poll interrupted in flight reached Facebook at an unknown moment after it was recorded, so the
 * next one waits two intervals from the record.
 */
export function pollDueAt(session: Session): number | undefined {
  const device = session.device;
  if (!device) return undefined;
  const base = (session.lastPollAt ?? device.issuedAt) + device.intervalMs * (session.pollInFlight ? 2 : 1);
  return Math.max(base, session.retryAt ?? 0);
}

function conclude(state: State, conclusion: Conclusion, render: RenderConclusion): State {
  const session = state.current;
  if (!session) return state;
  const edit: FinalEdit = {
    id: session.id,
    kind: conclusion.kind,
    revision: 0,
    applicationId: session.applicationId,
    interactionToken: session.interactionToken,
    startedAt: session.startedAt,
    message: render(conclusion, session),
    failures: 0,
  };
  return { ...state, current: undefined, outbox: [...state.outbox.filter((e) => e.id !== session.id), edit] };
}

function updateCurrent(state: State, sessionId: string, change: (session: Session) => Session): State {
  if (state.current?.id !== sessionId) return state;
  return { ...state, current: change(state.current) };
}

// ---------------------------------------------------------------------------------------------------------------
// Events

export interface StartLogin {
  sessionId: string;
  discordUserId: string;
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
 * A /login: starts a session; one in progress is superseded (its message will say so, its code is dropped).
 * The caller checks {@link loginAllowedAt} first.
 */
export function startLogin(state: State, start: StartLogin, now: number, render: RenderConclusion): State {
  const superseded = conclude(state, { kind: 'replaced' }, render);
  return {
    ...superseded,
    recentStarts: [...state.recentStarts.filter((at) => at > now - LOGIN_RATE_WINDOW_MS), now],
    current: {
      id: start.sessionId,
      discordUserId: start.discordUserId,
      applicationId: start.applicationId,
      interactionToken: start.interactionToken,
      locale: start.locale,
      startedAt: now,
      failures: 0,
      codeShown: false,
      discordFailures: 0,
    },
  };
}

export function deviceCodeIssued(state: State, sessionId: string, device: DeviceAuthorization, now: number): State {
  return updateCurrent(state, sessionId, (session) => ({
    ...session,
    device: {
      code: device.code,
      userCode: device.userCode,
      verificationUri: device.verificationUri,
      issuedAt: now,
      expiresAt: now + device.expiresInSeconds * 1000,
      intervalMs: device.intervalSeconds * 1000,
    },
    failures: 0,
    retryAt: undefined,
  }));
}

/** Asking Facebook for a device code failed; `transient` failures are retried with backoff, a few times. */
export function deviceCodeFailed(
  state: State,
  sessionId: string,
  transient: boolean,
  now: number,
  render: RenderConclusion,
): State {
  const session = state.current;
  if (session?.id !== sessionId) return state;
  const failures = session.failures + 1;
  if (!transient) return conclude(state, { kind: 'failed', reason: 'facebook-rejected' }, render);
  if (failures >= MAX_DEVICE_REQUEST_FAILURES) return conclude(state, { kind: 'failed', reason: 'facebook-unavailable' }, render);
  return updateCurrent(state, sessionId, (s) => ({ ...s, failures, retryAt: now + 2_000 * 2 ** (failures - 1) }));
}

/** Recorded before the poll is sent, so that a re-run alarm never polls early. */
export function pollStarted(state: State, sessionId: string, now: number): State {
  return updateCurrent(state, sessionId, (session) => ({ ...session, lastPollAt: now, pollInFlight: true }));
}

export type PollAnswer = Exclude<DeviceLoginStatus, { kind: 'authorized' }> | { kind: 'authorized' };

/** Facebook answered the poll (at `now`, which the next poll is measured from). */
export function pollAnswered(state: State, sessionId: string, answer: PollAnswer, now: number, render: RenderConclusion): State {
  const current = state.current;
  if (current?.id !== sessionId || !current.device) return state;
  const session: Session = { ...current, lastPollAt: now, pollInFlight: false };
  state = { ...state, current: session };
  switch (answer.kind) {
    case 'pending':
      return updateCurrent(state, sessionId, (s) => ({ ...s, failures: 0, retryAt: undefined }));
    case 'slow_down':
      return updateCurrent(state, sessionId, (s) => ({
        ...s,
        failures: 0,
        retryAt: undefined,
        device: { ...s.device!, intervalMs: s.device!.intervalMs + SLOW_DOWN_INCREMENT_MS },
      }));
    case 'declined':
      return conclude(state, { kind: 'declined' }, render);
    case 'expired':
      return conclude(state, { kind: 'expired' }, render);
    case 'code-rejected':
      return conclude(state, { kind: 'failed', reason: 'code-rejected' }, render);
    case 'authorized':
      return updateCurrent(state, sessionId, (s) => ({ ...s, authorizedAt: now, failures: 0, retryAt: undefined }));
    case 'unavailable': {
      const failures = session.failures + 1;
      if (failures >= MAX_POLL_FAILURES) return conclude(state, { kind: 'failed', reason: 'facebook-unavailable' }, render);
      const backoff = Math.min(current.device.intervalMs * 2 ** failures, MAX_POLL_BACKOFF_MS);
      return updateCurrent(state, sessionId, (s) => ({ ...s, failures, retryAt: now + backoff }));
    }
  }
}

/** The profile was read (and the account linked): the login succeeded. */
export function loginSucceeded(state: State, sessionId: string, message: DiscordMessage, render: RenderConclusion): State {
  if (state.current?.id !== sessionId) return state;
  return conclude(state, { kind: 'success', message }, render);
}

/**
 * Facebook approved, but the login cannot complete: the profile could not be read (or the token was lost with a
 * restart), or the link could not be saved.
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
 * Reading the profile failed in a way worth retrying (timeout, network, 5xx): try again shortly, keeping the
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
 * The user's Facebook data was erased (they removed the app, or asked Facebook to delete their data): a success
 * message still waiting to be shown names their Facebook account, so it is replaced by `erased`.
 */
export function facebookDataErased(state: State, erased: DiscordMessage): State {
  if (!state.outbox.some((edit) => edit.kind === 'success')) return state;
  return {
    ...state,
    outbox: state.outbox.map((edit) =>
      edit.kind === 'success' ? { ...edit, kind: 'erased', message: erased, revision: edit.revision + 1, failures: 0 } : edit,
    ),
  };
}

/** The owner cancelled: the Worker shows "cancelled" itself (type 7), so nothing is owed to the message. */
export function cancelled(state: State, sessionId: string): State {
  if (state.current?.id !== sessionId) return state;
  return { ...state, current: undefined };
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
    startedAt: job.startedAt,
    message,
    failures: 0,
  };
  return { ...state, logouts: state.logouts.filter((j) => j.id !== jobId), outbox: [...state.outbox, edit] };
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
  if (result.kind === 'ok') {
    return updateCurrent(state, sessionId, (s) => ({ ...s, codeShown: true, discordFailures: 0, discordRetryAt: undefined }));
  }
  // Discord refused the message itself (a 4xx): the same message cannot succeed, a plain one may.
  if (result.kind === 'rejected' && !session.codeFallback) {
    return updateCurrent(state, sessionId, (s) => ({ ...s, codeFallback: true, discordFailures: 0, discordRetryAt: undefined }));
  }
  const retry = retryEditAt({ startedAt: session.startedAt, failures: session.discordFailures }, result, now);
  // The user cannot see the code and never will: end the login and forget it.
  if (!retry) return { ...state, current: undefined };
  return updateCurrent(state, sessionId, (s) => ({ ...s, discordFailures: retry.failures, discordRetryAt: retry.at }));
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

// ---------------------------------------------------------------------------------------------------------------
// Time

/**
 * Applies what time alone decides: a device code past its expiry ends the login as expired; a token past its
 * life can no longer edit anything, so its login or final edit is dropped.
 */
export function advance(state: State, now: number, render: RenderConclusion): State {
  let next = state;
  const current = next.current;
  if (current && now >= tokenUsableUntil(current.startedAt)) next = { ...next, current: undefined };
  else if (current?.device && !current.authorizedAt && now >= current.device.expiresAt) {
    next = conclude(next, { kind: 'expired' }, render);
  }
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
      if ((session.retryAt ?? 0) <= now) return { kind: 'fetch-profile', session };
      wakeups.push(session.retryAt!);
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
  if (wakeups.length === 0) return { kind: 'idle' };
  return { kind: 'sleep', until: Math.min(...wakeups) };
}

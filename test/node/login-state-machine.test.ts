import { describe, expect, it } from 'vitest';
import {
  advance,
  browserCallbackAccepted,
  browserStarted,
  cancelled,
  codeShown,
  deviceCodeFailed,
  deviceCodeIssued,
  emptyState,
  FINAL_EDIT_MARGIN_MS,
  accountErased,
  finalEditDone,
  isEmpty,
  LOGIN_RATE_WINDOW_MS,
  loginAllowedAt,
  logoutDone,
  logoutRequested,
  logoutUnlinked,
  MAX_LOGINS_PER_WINDOW,
  loginSucceeded,
  MAX_DEVICE_REQUEST_FAILURES,
  MAX_POLL_BACKOFF_MS,
  MAX_POLL_FAILURES,
  nextStep,
  pollAnswered,
  pushAttempted,
  pushRequested,
  resumed,
  MAX_PROFILE_TRIES,
  profileFetchFailed,
  profileUnavailable,
  startLogin,
  TOKEN_LIFETIME_MS,
  TOKEN_SAFETY_MARGIN_MS,
  type Conclusion,
  type RenderConclusion,
  type IssuedDeviceCode,
  type State,
} from '../../src/login/session.ts';

const T0 = 1_800_000_000_000;
const render: RenderConclusion = (conclusion: Conclusion) => ({
  content: conclusion.kind === 'failed' ? `failed:${conclusion.reason}` : conclusion.kind === 'success' ? String(conclusion.message.content) : conclusion.kind,
});
const device: IssuedDeviceCode = {
  deviceCode: 'device-code-secret',
  verificationUriComplete: undefined,
  userCode: 'ABCD2345',
  verificationUri: 'https://www.facebook.com/device',
  expiresInSeconds: 420,
  intervalSeconds: 5,
};

function started(id = 's1', now = T0, state: State = emptyState()): State {
  return startLogin(
    state,
    {
      sessionId: id,
      provider: 'facebook',
      providerName: 'Facebook',
      providerColor: 0x1877f2,
      discordUserId: '111111111111111111',
      applicationId: '123',
      interactionToken: `token-${id}`,
      locale: 'en-US',
    },
    now,
    render,
  );
}

/** A session whose code is issued at T0+1000 and shown. */
function polling(): State {
  let state = deviceCodeIssued(started(), 's1', device, T0 + 1_000);
  state = codeShown(state, 's1', { kind: 'ok' }, T0 + 1_200);
  return state;
}

const stepAt = (state: State, now: number) => nextStep(advance(state, now, render), now);

/** Nothing left to do or owed (the rate limit's start times aside, which are not work). */
function expectNothingOwed(state: State) {
  expect({ ...state, recentStarts: [] }).toEqual(emptyState());
}

describe('login state machine: starting', () => {
  it('a new login first asks Facebook for a device code, then shows it', () => {
    const state = started();
    expect(nextStep(state, T0)).toMatchObject({ kind: 'request-device-code', session: { id: 's1' } });
    const issued = deviceCodeIssued(state, 's1', device, T0 + 1_000);
    expect(issued.current!.device).toEqual({
      deviceCode: 'device-code-secret',
      userCode: 'ABCD2345',
      verificationUri: 'https://www.facebook.com/device',
      issuedAt: T0 + 1_000,
      expiresAt: T0 + 1_000 + 420_000,
      intervalMs: 5_000,
    });
    expect(nextStep(issued, T0 + 1_000)).toMatchObject({ kind: 'show-code' });
  });

  it('after the code is shown it sleeps until one interval after the code was issued', () => {
    expect(stepAt(polling(), T0 + 1_200)).toEqual({ kind: 'sleep', until: T0 + 6_000 });
    expect(stepAt(polling(), T0 + 6_000)).toMatchObject({ kind: 'poll' });
  });

  it('retries a transient device-code failure with growing backoff, then gives up with a clear failure', () => {
    let state = started();
    const waits: number[] = [];
    for (let i = 1; i < MAX_DEVICE_REQUEST_FAILURES; i++) {
      state = deviceCodeFailed(state, 's1', true, T0, render);
      waits.push(state.current!.retryAt! - T0);
      expect(nextStep(state, T0)).toEqual({ kind: 'sleep', until: state.current!.retryAt });
    }
    expect(waits).toEqual([2_000, 4_000, 8_000]);
    state = deviceCodeFailed(state, 's1', true, T0, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox.map((e) => e.message.content)).toEqual(['failed:provider-unavailable']);
  });

  it('a device-code request Facebook rejects (e.g. a bad client token) fails at once', () => {
    const state = deviceCodeFailed(started(), 's1', false, T0, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox[0]!.message.content).toBe('failed:provider-rejected');
  });
});

describe('login state machine: polling', () => {
  it('after a restart the next poll waits a full interval from the restart: a poll may have been in flight', () => {
    // Stored state says a poll is due (the last answer came at T0 + 6 s); the object restarts at T0 + 11.05 s, just
    // after that poll could have gone out. It cannot know, so it counts from the restart.
    const state = resumed(pollAnswered(polling(), 's1', { kind: 'pending' }, T0 + 6_000, render), T0 + 11_050);
    expect(stepAt(state, T0 + 11_050)).toEqual({ kind: 'sleep', until: T0 + 16_050 });
    expect(stepAt(state, T0 + 16_050)).toMatchObject({ kind: 'poll' });
  });

  it('a restart does not touch a login that has no code yet or was approved (its token is lost: it ends)', () => {
    expect(resumed(started(), T0 + 5_000)).toEqual(started());
    const approved = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    expect(resumed(approved, T0 + 7_000)).toBe(approved);
  });

  it("a restart while the browser's code was being exchanged: the identity step runs (and, with no token, ends the login)", () => {
    let state = startLogin(emptyState(), { sessionId: 's1', browserTicket: 'ticket', provider: 'facebook', providerName: 'Facebook', providerColor: 0, discordUserId: 'u1', applicationId: 'a', interactionToken: 't', locale: 'en' }, T0, render);
    state = browserStarted(state, 's1', 'facebook', { stateHash: 'h', cookieHash: 'c', codeVerifier: 'v', nonce: 'n', startedAt: T0 + 1_000 });
    state = browserCallbackAccepted(state, 's1', T0 + 2_000);
    expect(stepAt(state, T0 + 3_000).kind).not.toBe('identify');
    expect(stepAt(resumed(state, T0 + 3_000), T0 + 3_000)).toMatchObject({ kind: 'identify' });
  });

  it('pending: polls again one interval after the answer arrived', () => {
    let state = polling();
    state = pollAnswered(state, 's1', { kind: 'pending' }, T0 + 6_000, render);
    expect(state.current!.stats.polls).toBe(1);
    expect(stepAt(state, T0 + 6_100)).toEqual({ kind: 'sleep', until: T0 + 11_000 });
    expect(stepAt(state, T0 + 10_999)).toEqual({ kind: 'sleep', until: T0 + 11_000 });
    expect(stepAt(state, T0 + 11_000)).toMatchObject({ kind: 'poll' });
  });

  it('a slow answer moves the next poll later: polls stay an interval apart as Facebook sees them', () => {
    let state = polling();
    state = pollAnswered(state, 's1', { kind: 'pending' }, T0 + 6_900, render);
    expect(stepAt(state, T0 + 7_000)).toEqual({ kind: 'sleep', until: T0 + 11_900 });
  });

  it('slow down: adds 5 s to the interval for this and every later poll', () => {
    let state = polling();
    state = pollAnswered(state, 's1', { kind: 'slow_down', intervalSeconds: undefined }, T0 + 6_000, render);
    expect(state.current!.device!.intervalMs).toBe(10_000);
    expect(stepAt(state, T0 + 6_100)).toEqual({ kind: 'sleep', until: T0 + 16_000 });
    state = state;
    state = pollAnswered(state, 's1', { kind: 'slow_down', intervalSeconds: undefined }, T0 + 16_000, render);
    expect(state.current!.device!.intervalMs).toBe(15_000);
    state = state;
    state = pollAnswered(state, 's1', { kind: 'pending' }, T0 + 31_000, render);
    expect(state.current!.device!.intervalMs).toBe(15_000);
    expect(stepAt(state, T0 + 31_100)).toEqual({ kind: 'sleep', until: T0 + 46_000 });
  });

  it('declined: ends the login with a declined message and nothing left to poll', () => {
    const state = pollAnswered(polling(), 's1', { kind: 'declined' }, T0 + 6_000, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox).toMatchObject([{ id: 's1', interactionToken: 'token-s1', message: { content: 'declined' } }]);
    expect(stepAt(state, T0 + 6_100)).toMatchObject({ kind: 'final-edit' });
  });

  it('expired (1349152): ends the login with an expired message', () => {
    const state = pollAnswered(polling(), 's1', { kind: 'expired' }, T0 + 6_000, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox[0]!.message.content).toBe('expired');
  });

  it('the code\'s lifetime passing ends the login exactly at the boundary', () => {
    const expiresAt = T0 + 1_000 + 420_000;
    let state = polling();
    state = pollAnswered(state, 's1', { kind: 'pending' }, expiresAt - 2_000, render);
    expect(stepAt(state, expiresAt - 1)).toEqual({ kind: 'sleep', until: expiresAt });
    const atExpiry = advance(state, expiresAt, render);
    expect(atExpiry.current).toBeUndefined();
    expect(atExpiry.outbox[0]!.message.content).toBe('expired');
  });

  it('transient failures back off from the last poll, bounded, then the user is told Facebook is not answering', () => {
    let state = polling();
    let now = T0 + 6_000;
    const gaps: number[] = [];
    for (let i = 1; i < MAX_POLL_FAILURES; i++) {
      state = state;
      state = pollAnswered(state, 's1', { kind: 'transient', reason: 'HTTP 500', retryAfterMs: undefined }, now, render);
      const step = stepAt(state, now + 1);
      expect(step.kind).toBe('sleep');
      const until = (step as { until: number }).until;
      gaps.push(until - now);
      now = until;
    }
    expect(gaps).toEqual([10_000, 20_000, 40_000, MAX_POLL_BACKOFF_MS]);
    state = pollAnswered(state, 's1', { kind: 'transient', reason: 'timeout', retryAfterMs: undefined }, now, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox[0]!.message.content).toBe('failed:provider-unavailable');
  });

  it('a good answer after a failure resets the backoff', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'transient', reason: 'x', retryAfterMs: undefined }, T0 + 6_000, render);
    state = pollAnswered(state, 's1', { kind: 'pending' }, T0 + 16_000, render);
    expect(state.current!.failures).toBe(0);
    expect(stepAt(state, T0 + 16_100)).toEqual({ kind: 'sleep', until: T0 + 21_000 });
  });
});

describe('login state machine: success', () => {
  it('authorized: records the success first, then asks for the profile, then owes the success message', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    expect(state.current!.authorizedAt).toBe(T0 + 6_000);
    expect(JSON.stringify(state)).not.toContain('access');
    expect(stepAt(state, T0 + 6_100)).toMatchObject({ kind: 'identify' });
    state = loginSucceeded(state, 's1', { content: 'Logged in as Ada' }, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox.map((e) => e.message.content)).toEqual(['Logged in as Ada']);
  });

  it('after success an approved login is never polled again, even past the code\'s expiry', () => {
    const state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    expect(stepAt(state, T0 + 500_000)).toMatchObject({ kind: 'identify' });
  });

  it('a duplicate alarm after success only delivers the final edit once, then is idle', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    state = loginSucceeded(state, 's1', { content: 'ok' }, render);
    state = finalEditDone(state, 's1', 0, { kind: 'ok' }, T0 + 7_000);
    expectNothingOwed(state);
    expect(stepAt(state, T0 + 7_001)).toEqual({ kind: 'idle' });
    // Events for the finished login change nothing.
    expectNothingOwed(loginSucceeded(state, 's1', { content: 'again' }, render));
    expectNothingOwed(pollAnswered(state, 's1', { kind: 'authorized' }, T0 + 7_002, render));
  });

  it('a failed profile read is retried after 1 s, then 2 s, never polling meanwhile; the third failure ends the login', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    // A slow /me (its answer at T0+10.5 s): the retry falls after the next poll slot (T0+11 s), and at that slot
    // nothing is polled: only the profile read is due, after its backoff.
    state = profileFetchFailed(state, 's1', T0 + 10_500, render);
    expect(stepAt(state, T0 + 11_200)).toEqual({ kind: 'sleep', until: T0 + 11_500 });
    expect(stepAt(state, T0 + 11_500)).toMatchObject({ kind: 'identify' });
    state = profileFetchFailed(state, 's1', T0 + 11_600, render);
    expect(stepAt(state, T0 + 11_700)).toEqual({ kind: 'sleep', until: T0 + 13_600 });
    expect(MAX_PROFILE_TRIES).toBe(3);
    state = profileFetchFailed(state, 's1', T0 + 13_700, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox.map((e) => e.message.content)).toEqual(['failed:profile-unavailable']);
  });

  it('a dead code (Graph error 100) ends the login at once with its own reason', () => {
    const state = pollAnswered(polling(), 's1', { kind: 'fatal', error: 'invalid code', codeRejected: true }, T0 + 6_000, render);
    expect(state.current).toBeUndefined();
    expect(state.outbox.map((e) => e.message.content)).toEqual(['failed:code-rejected']);
  });

  it('an approval whose profile cannot be read ends with a clear failure', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    state = profileUnavailable(state, 's1', 'profile-unavailable', render);
    expect(state.outbox[0]!.message.content).toBe('failed:profile-unavailable');
  });
});

describe('login state machine: supersede and cancel', () => {
  it('a second /login supersedes the first: the old message is told, its code is dropped, one code is polled', () => {
    const first = polling();
    const state = started('s2', T0 + 7_000, first);
    expect(state.current!.id).toBe('s2');
    expect(state.current!.device).toBeUndefined();
    expect(state.outbox).toMatchObject([{ id: 's1', interactionToken: 'token-s1', message: { content: 'replaced' } }]);
    expect(JSON.stringify(state)).not.toContain('device-code-secret');
    // A late answer to the old login's poll changes nothing.
    expect(pollAnswered(state, 's1', { kind: 'authorized' }, T0 + 7_000, render)).toBe(state);
    expect(nextStep(state, T0 + 7_000)).toMatchObject({ kind: 'request-device-code', session: { id: 's2' } });
  });

  it('cancel removes the login without a message owed (the button answer shows it)', () => {
    const state = cancelled(polling(), 's1');
    expectNothingOwed(state);
    expect(stepAt(state, T0 + 6_000)).toEqual({ kind: 'idle' });
  });

  it('cancel of a session that is no longer current changes nothing', () => {
    const state = started('s2', T0 + 7_000, polling());
    expect(cancelled(state, 's1')).toBe(state);
  });
});

describe('login state machine: Discord edits and deadlines', () => {
  const issued = () => deviceCodeIssued(started(), 's1', device, T0 + 1_000);

  it('a long Retry-After is waited for by sleeping until then (while polling goes on)', () => {
    const state = codeShown(issued(), 's1', { kind: 'rate-limited', retryAfterMs: 30_000 }, T0 + 1_100);
    expect(state.current!.discordRetryAt).toBe(T0 + 31_100);
    expect(stepAt(state, T0 + 1_200)).toEqual({ kind: 'sleep', until: T0 + 6_000 });
    expect(stepAt(state, T0 + 6_000)).toMatchObject({ kind: 'poll' });
    expect(stepAt(state, T0 + 31_100)).toMatchObject({ kind: 'show-code' });
  });

  it('Unknown Webhook right after the defer is retried briefly; later it ends the login', () => {
    const early = codeShown(issued(), 's1', { kind: 'token-gone' }, T0 + 1_100);
    expect(early.current!.discordRetryAt).toBe(T0 + 2_600);
    const late = codeShown(issued(), 's1', { kind: 'token-gone' }, T0 + 20_000);
    expectNothingOwed(late);
  });

  it('a rejected code message is retried once as plain text, then ends the login; a transient one is retried a bounded number of times', () => {
    const fallback = codeShown(issued(), 's1', { kind: 'rejected' }, T0 + 1_100);
    expect(fallback.current).toMatchObject({ codeFallback: true, codeShown: false });
    expect(stepAt(fallback, T0 + 1_100)).toMatchObject({ kind: 'show-code' });
    expectNothingOwed(codeShown(fallback, 's1', { kind: 'rejected' }, T0 + 1_200));
    let state = issued();
    for (let i = 0; i < 3; i++) state = codeShown(state, 's1', { kind: 'transient' }, T0 + 1_100);
    expect(state.current!.discordFailures).toBe(3);
    expectNothingOwed(codeShown(state, 's1', { kind: 'transient' }, T0 + 1_100));
  });

  it('a final edit that hits a rate limit waits; one whose token is gone is dropped', () => {
    const declined = pollAnswered(polling(), 's1', { kind: 'declined' }, T0 + 6_000, render);
    const limited = finalEditDone(declined, 's1', 0, { kind: 'rate-limited', retryAfterMs: 5_000 }, T0 + 6_100);
    expect(stepAt(limited, T0 + 6_200)).toEqual({ kind: 'sleep', until: T0 + 11_100 });
    expect(stepAt(limited, T0 + 11_100)).toMatchObject({ kind: 'final-edit' });
    expectNothingOwed(finalEditDone(declined, 's1', 0, { kind: 'token-gone' }, T0 + 60_000));
  });

  it('a code that outlives the interaction token ends as "expired" while the message can still say so', () => {
    const deadline = T0 + TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;
    const slow: IssuedDeviceCode = { ...device, expiresInSeconds: 1800 };
    const issuedSlow = deviceCodeIssued(started(), 's1', slow, T0 + 1_000);
    expect(issuedSlow.current!.device!.expiresAt).toBe(deadline - FINAL_EDIT_MARGIN_MS);
    let state = codeShown(issuedSlow, 's1', { kind: 'ok' }, T0 + 1_100);
    state = pollAnswered(state, 's1', { kind: 'pending' }, deadline - FINAL_EDIT_MARGIN_MS - 1_000, render);
    const ended = advance(state, deadline - FINAL_EDIT_MARGIN_MS, render);
    expect(ended.current).toBeUndefined();
    expect(ended.outbox).toEqual([expect.objectContaining({ message: { content: 'expired' } })]);
    expect(stepAt(ended, deadline - FINAL_EDIT_MARGIN_MS)).toMatchObject({ kind: 'final-edit' });
  });

  it('a login ends, without further edits, when its interaction token is about to expire', () => {
    const deadline = T0 + TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;
    // Approved, but who logged in is still being read when the token runs out: nothing more can be said.
    let state = codeShown(deviceCodeIssued(started(), 's1', { ...device, expiresInSeconds: 3600 }, T0 + 1_000), 's1', { kind: 'ok' }, T0 + 1_100);
    state = pollAnswered(state, 's1', { kind: 'authorized' }, deadline - 40_000, render);
    expectNothingOwed(advance(state, deadline, render));
  });

  it('every sleep is strictly in the future', () => {
    const states = [started(), issued(), polling(), polling()];
    for (const state of states) {
      for (const now of [T0, T0 + 1_000, T0 + 5_999, T0 + 6_000, T0 + 100_000]) {
        const step = stepAt(state, now);
        if (step.kind === 'sleep') expect(step.until).toBeGreaterThan(now);
      }
    }
  });
});

describe('login state machine: erasure', () => {
  it('erasing the user\'s Facebook data replaces a success message still owed, and leaves other messages alone', () => {
    let state = pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render);
    state = loginSucceeded(state, 's1', { content: 'Logged in as Ada' }, render);
    state = started('s2', T0 + 7_000, state);
    state = pollAnswered(deviceCodeIssued(state, 's2', device, T0 + 7_000), 's2', { kind: 'declined' }, T0 + 7_000, render);
    const erased = accountErased(state, 'facebook', () => ({ content: 'erased' }));
    expect(erased.outbox.map((e) => [e.id, e.kind, e.message.content])).toEqual([
      ['s1', 'erased', 'erased'],
      ['s2', 'declined', 'declined'],
    ]);
    expect(JSON.stringify(erased)).not.toContain('Ada');
    expect(accountErased(erased, 'facebook', () => ({ content: 'again' }))).toBe(erased);
  });
});

describe('login state machine: the /login rate limit', () => {
  it(`allows ${MAX_LOGINS_PER_WINDOW} starts per ${LOGIN_RATE_WINDOW_MS / 1000} s and says when the next one is allowed`, () => {
    let state = emptyState();
    for (let i = 0; i < MAX_LOGINS_PER_WINDOW; i++) {
      expect(loginAllowedAt(state, T0 + i * 1_000)).toBeUndefined();
      state = started(`s${i}`, T0 + i * 1_000, state);
    }
    expect(loginAllowedAt(state, T0 + 10_000)).toBe(T0 + LOGIN_RATE_WINDOW_MS);
    expect(loginAllowedAt(state, T0 + LOGIN_RATE_WINDOW_MS)).toBeUndefined();
  });

  it('start times past the window are forgotten as time passes', () => {
    const state = started('s1', T0);
    expect(advance(state, T0 + LOGIN_RATE_WINDOW_MS + 1, render).recentStarts).toEqual([]);
  });
});

describe('login state machine: /logout', () => {
  const job = { id: 'j1', provider: 'facebook' as const, discordUserId: '111111111111111111', applicationId: '123', interactionToken: 'token-j1', locale: 'en', startedAt: T0 };

  it('a logout is done first, then its outcome is owed to its reply', () => {
    let state = logoutRequested(polling(), job);
    expect(stepAt(state, T0 + 2_000)).toEqual({ kind: 'logout', job });
    state = logoutUnlinked(state, 'j1', { subject: '42', name: 'Ada' });
    expect(stepAt(state, T0 + 2_000)).toMatchObject({ kind: 'logout', job: { unlinked: { subject: '42' } } });
    state = logoutDone(state, 'j1', { content: 'logged out' });
    expect(state.logouts).toEqual([]);
    expect(state.current?.id).toBe('s1');
    expect(stepAt(state, T0 + 2_000)).toMatchObject({ kind: 'final-edit', edit: { id: 'j1', kind: 'logout', interactionToken: 'token-j1' } });
  });

  it('an empty state is one with no login, no edit owed and no logout', () => {
    expect(isEmpty(logoutRequested(emptyState(), job))).toBe(false);
    expect(isEmpty({ ...emptyState(), recentStarts: [T0] })).toBe(true);
  });
});

describe('login state machine: a final edit replaced while in flight', () => {
  it("the answer to the older message's edit does not remove the newer message", () => {
    const succeeded = loginSucceeded(pollAnswered(polling(), 's1', { kind: 'authorized' }, T0 + 6_000, render), 's1', { content: 'Logged in as Ada' }, render);
    const sent = succeeded.outbox[0]!;
    const erased = accountErased(succeeded, 'facebook', () => ({ content: 'erased' }));
    const afterOldAnswer = finalEditDone(erased, sent.id, sent.revision, { kind: 'ok' }, T0 + 7_000);
    expect(afterOldAnswer.outbox.map((e) => [e.kind, e.message.content, e.revision])).toEqual([['erased', 'erased', 1]]);
    expectNothingOwed(finalEditDone(afterOldAnswer, sent.id, 1, { kind: 'ok' }, T0 + 7_100));
  });
});

describe('Linked Roles pushes', () => {
  it('a push requested while another is in flight stays owed when the earlier one completes', () => {
    const first = pushRequested(emptyState(), 'u1');
    const inFlight = first.push!;
    const newer = pushRequested(first, 'u1');
    expect(pushAttempted(newer, inFlight, undefined, T0).push).toEqual(newer.push);
    // The newer one, once attempted, is done.
    expect(pushAttempted(newer, newer.push!, undefined, T0).push).toBeUndefined();
  });

  it('a retry keeps the request and counts the attempt', () => {
    const state = pushRequested(emptyState(), 'u1');
    expect(pushAttempted(state, state.push!, 30_000, T0).push).toMatchObject({ attempts: 1, notBefore: T0 + 30_000, seq: state.push!.seq });
  });
});

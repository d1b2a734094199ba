/**
 * The device-code book-keeping the GitHub, Google and Microsoft stand-ins share (RFC 8628): issuing codes,
 * answering polls, counting polls that come too fast, and the user's decision. No HTTP here; each provider turns
 * a {@link PollOutcome} into its own answer. Every lookup is a Map access, so 1000 concurrent logins cost nothing.
 *
 * Order of the checks on a poll (GitHub checks the polling rate before the authorization state, see
 * charmbracelet/crush#3399; the stand-ins do the same for every provider): unknown code, redeemed, expired, too
 * fast, declined, approved, pending. A too-fast poll is counted whatever its answer.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './oauth-identities.ts';

/** No 0/O, 1/I/L, so a code read off a screen is typed right. */
/** RFC 8628 §3.4: the token request's grant_type for a device code. */
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const UNAMBIGUOUS_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** Consonants only: no vowels, so no code spells a word. */
export const CONSONANTS = 'BCDFGHJKLMNPQRSTVWXZ';

/** Random characters from `alphabet`, in groups joined by `-` (e.g. [4, 4] → `WDJB-MJHT`). */
export function randomCode(alphabet: string, groups: readonly number[]): string {
  return groups.map((length) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')).join('-');
}

/** Codes as people type them: any case, with spaces or dashes. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '');
}

export type DeviceLoginState = 'pending' | 'approved' | 'declined' | 'redeemed';

export interface DeviceLoginSettings {
  now: Clock;
  expiresInSeconds: number;
  intervalSeconds: number;
  /** Added to the required interval after each slow-down answer (RFC 8628 and GitHub: 5). */
  slowDownPenaltySeconds: number;
  /** A new user code as shown to people, e.g. `WDJB-MJHT`. */
  newUserCode: () => string;
  /** A new device code (secret; never in a snapshot or a log). */
  newDeviceCode: () => string;
}

/** What the client asked for when it started the login. */
export interface DeviceLoginRequest {
  clientId: string;
  scopes: string[];
  /** Microsoft: the tenant segment of the URL the login was started on. */
  tenant?: string;
}

interface DeviceLogin<I extends Identity> extends DeviceLoginRequest {
  deviceCode: string;
  userCode: string;
  createdAt: number;
  expiresAt: number;
  state: DeviceLoginState;
  identity: I | undefined;
  decidedAt: number | undefined;
  redeemedAt: number | undefined;
  polls: number[];
  tooFastPolls: number;
  slowDowns: number;
  requiredIntervalMs: number;
}

/** What tests, the benchmark and a UI may see of a device login. The device code is not part of it. */
export interface DeviceLoginSnapshot<I extends Identity = Identity> {
  /** As issued, e.g. `WDJB-MJHT`. */
  userCode: string;
  clientId: string;
  scopes: string[];
  tenant?: string;
  state: DeviceLoginState;
  /** Whether `expires_in` has passed by now. */
  expired: boolean;
  createdAt: number;
  expiresAt: number;
  identity: I | undefined;
  /** When the user approved or declined. */
  decidedAt: number | undefined;
  /** When the user approved; undefined if they did not (yet). */
  approvedAt: number | undefined;
  /** When the token was handed out. */
  redeemedAt: number | undefined;
  redeemed: boolean;
  /** Arrival time of every token-endpoint poll of this code, by the stand-in's clock. */
  polls: number[];
  /** Polls that came sooner than the required interval after the previous poll of this code. */
  tooFastPolls: number;
  /** How many polls were answered "slow down". */
  slowDowns: number;
  /** The gap now required between two polls (grows by the penalty after each slow-down). */
  requiredIntervalMs: number;
}

export type PollOutcome<I extends Identity = Identity> =
  | { kind: 'unknown' }
  | { kind: 'redeemed'; userCode: string }
  | { kind: 'expired'; userCode: string }
  /** `intervalSeconds`: the interval now required (GitHub puts it in the answer). */
  | { kind: 'slow_down'; userCode: string; intervalSeconds: number }
  | { kind: 'declined'; userCode: string }
  | { kind: 'pending'; userCode: string }
  /** The first poll after approval: the caller hands out the token; the code is now redeemed. */
  | { kind: 'authorized'; userCode: string; identity: I; request: DeviceLoginRequest };

export interface DeviceLoginEvent {
  kind: 'created' | 'polled' | 'approved' | 'declined';
  userCode: string;
  time: number;
  /** For `polled`: the answer given. */
  outcome?: PollOutcome['kind'];
}

export type DecisionProblem = 'unknown' | 'expired' | 'already_decided';

/** approve()/decline() on a code that cannot take a decision; `problem` says why. */
export class DeviceCodeError extends Error {
  override name = 'DeviceCodeError';
  readonly problem: DecisionProblem;
  constructor(problem: DecisionProblem) {
    super(
      {
        unknown: 'no device login has this code',
        expired: 'this code has expired',
        already_decided: 'this code was already used',
      }[problem],
    );
    this.problem = problem;
  }
}

export class DeviceLogins<I extends Identity = Identity> extends EventEmitter<{ change: [DeviceLoginEvent] }> {
  readonly #settings: DeviceLoginSettings;
  readonly #byDeviceCode = new Map<string, DeviceLogin<I>>();
  readonly #byUserCode = new Map<string, DeviceLogin<I>>();

  constructor(settings: DeviceLoginSettings) {
    super();
    this.setMaxListeners(0); // every waiter listens; a benchmark may have many
    this.#settings = settings;
  }

  get settings(): Readonly<DeviceLoginSettings> {
    return this.#settings;
  }

  /** The device authorization request: a new device code and user code. */
  start(request: DeviceLoginRequest): { deviceCode: string; userCode: string; expiresIn: number; interval: number } {
    const now = this.#settings.now();
    let userCode: string;
    do userCode = this.#settings.newUserCode();
    while (this.#byUserCode.has(normalizeUserCode(userCode)));
    const login: DeviceLogin<I> = {
      ...request,
      scopes: [...request.scopes],
      deviceCode: this.#settings.newDeviceCode(),
      userCode,
      createdAt: now,
      expiresAt: now + this.#settings.expiresInSeconds * 1000,
      state: 'pending',
      identity: undefined,
      decidedAt: undefined,
      redeemedAt: undefined,
      polls: [],
      tooFastPolls: 0,
      slowDowns: 0,
      requiredIntervalMs: this.#settings.intervalSeconds * 1000,
    };
    this.#byDeviceCode.set(login.deviceCode, login);
    this.#byUserCode.set(normalizeUserCode(userCode), login);
    this.emit('change', { kind: 'created', userCode, time: now });
    return { deviceCode: login.deviceCode, userCode, expiresIn: this.#settings.expiresInSeconds, interval: this.#settings.intervalSeconds };
  }

  /**
   * A token-endpoint poll: records it and decides the answer. A code issued to another client counts as unknown
   * (and is not recorded), as it would be at the real providers.
   */
  poll(deviceCode: string, clientId: string): PollOutcome<I> {
    const login = this.#byDeviceCode.get(deviceCode);
    if (!login || login.clientId !== clientId) return { kind: 'unknown' };
    const now = this.#settings.now();
    const previous = login.polls.at(-1);
    login.polls.push(now);
    const tooFast = previous !== undefined && now - previous < login.requiredIntervalMs;
    if (tooFast) login.tooFastPolls++;

    const outcome = this.#answer(login, now, tooFast);
    if (outcome.kind === 'authorized') {
      login.state = 'redeemed';
      login.redeemedAt = now;
    }
    this.emit('change', { kind: 'polled', userCode: login.userCode, time: now, outcome: outcome.kind });
    return outcome;
  }

  #answer(login: DeviceLogin<I>, now: number, tooFast: boolean): PollOutcome<I> {
    const userCode = login.userCode;
    if (login.state === 'redeemed') return { kind: 'redeemed', userCode };
    if (now >= login.expiresAt) return { kind: 'expired', userCode };
    if (tooFast) {
      login.slowDowns++;
      login.requiredIntervalMs += this.#settings.slowDownPenaltySeconds * 1000;
      return { kind: 'slow_down', userCode, intervalSeconds: Math.ceil(login.requiredIntervalMs / 1000) };
    }
    if (login.state === 'declined') return { kind: 'declined', userCode };
    if (login.state === 'approved') {
      const { clientId, scopes, tenant } = login;
      return { kind: 'authorized', userCode, identity: login.identity!, request: { clientId, scopes: [...scopes], ...(tenant ? { tenant } : {}) } };
    }
    return { kind: 'pending', userCode };
  }

  /** The login a user code (as typed) belongs to, if any: for pages that must check it before deciding. */
  request(userCode: string): (DeviceLoginRequest & { userCode: string }) | undefined {
    const login = this.#byUserCode.get(normalizeUserCode(userCode));
    if (!login) return undefined;
    const { clientId, scopes, tenant } = login;
    return { userCode: login.userCode, clientId, scopes: [...scopes], ...(tenant ? { tenant } : {}) };
  }

  /** The user typed `userCode` and authorized as `identity`. Throws {@link DeviceCodeError}. */
  approve(userCode: string, identity: I): void {
    const login = this.#decidable(userCode);
    login.state = 'approved';
    login.identity = { ...identity };
    login.decidedAt = this.#settings.now();
    this.emit('change', { kind: 'approved', userCode: login.userCode, time: login.decidedAt });
  }

  /** The user typed `userCode` and cancelled. Throws {@link DeviceCodeError}. */
  decline(userCode: string): void {
    const login = this.#decidable(userCode);
    login.state = 'declined';
    login.decidedAt = this.#settings.now();
    this.emit('change', { kind: 'declined', userCode: login.userCode, time: login.decidedAt });
  }

  /** Throws {@link DeviceCodeError} unless `userCode` can still take a decision. */
  checkDecidable(userCode: string): void {
    this.#decidable(userCode);
  }

  #decidable(userCode: string): DeviceLogin<I> {
    const login = this.#byUserCode.get(normalizeUserCode(userCode));
    if (!login) throw new DeviceCodeError('unknown');
    if (this.#settings.now() >= login.expiresAt) throw new DeviceCodeError('expired');
    if (login.state !== 'pending') throw new DeviceCodeError('already_decided');
    return login;
  }

  snapshot(userCode: string): DeviceLoginSnapshot<I> | undefined {
    const login = this.#byUserCode.get(normalizeUserCode(userCode));
    return login && this.#snapshotOf(login);
  }

  /** Every device login ever started, oldest first. */
  list(): DeviceLoginSnapshot<I>[] {
    return [...this.#byUserCode.values()].map((login) => this.#snapshotOf(login));
  }

  #snapshotOf(login: DeviceLogin<I>): DeviceLoginSnapshot<I> {
    return {
      userCode: login.userCode,
      clientId: login.clientId,
      scopes: [...login.scopes],
      ...(login.tenant ? { tenant: login.tenant } : {}),
      state: login.state,
      expired: this.#settings.now() >= login.expiresAt,
      createdAt: login.createdAt,
      expiresAt: login.expiresAt,
      identity: login.identity && { ...login.identity },
      decidedAt: login.decidedAt,
      approvedAt: login.state === 'approved' || login.state === 'redeemed' ? login.decidedAt : undefined,
      redeemedAt: login.redeemedAt,
      redeemed: login.state === 'redeemed',
      polls: [...login.polls],
      tooFastPolls: login.tooFastPolls,
      slowDowns: login.slowDowns,
      requiredIntervalMs: login.requiredIntervalMs,
    };
  }
}

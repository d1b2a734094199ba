/**
 * The device-login sessions of the Facebook stand-in: issuing codes, answering polls, and the user's decision.
 * No HTTP here; every lookup is a Map access, so 1000 concurrent logins cost nothing per request.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../lib/clock.ts';
import { decidePermissions, type PermissionDecision } from './facebook-permissions.ts';
import { DeviceCodeError, normalizeUserCode, UNAMBIGUOUS_ALPHABET, type DeviceLoginEvent, type DeviceLoginState } from './oauth-device-logins.ts';

// The pieces every device-login stand-in shares; Facebook's own store adds permissions and its poll answers.
export { DeviceCodeError, normalizeUserCode, type DecisionProblem, type DeviceLoginEvent, type DeviceLoginState } from './oauth-device-logins.ts';

/** No 0/O, 1/I/L, so a code read off a screen is typed right. */
export const USER_CODE_ALPHABET = UNAMBIGUOUS_ALPHABET;
export const USER_CODE_LENGTH = 8;

export interface Identity {
  /** The Facebook user's display name; the stand-in derives a stable app-scoped id from it. */
  name: string;
  /** Overrides the picture the stand-in serves for this identity. */
  pictureUrl?: string;
  /** What `/me?fields=email` answers once `email` is granted; no email field without it. */
  email?: string;
}

export interface DeviceLoginSettings {
  now: Clock;
  expiresInSeconds: number;
  intervalSeconds: number;
  /** Added to the required interval after each slow-down answer. Facebook keeps 5 s (0 here); RFC 8628 adds 5. */
  slowDownPenaltySeconds: number;
}

interface DeviceLogin {
  code: string;
  userCode: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  state: DeviceLoginState;
  identity: Identity | undefined;
  permissions: PermissionDecision | undefined;
  decidedAt: number | undefined;
  redeemedAt: number | undefined;
  polls: number[];
  tooFastPolls: number;
  slowDowns: number;
  requiredIntervalMs: number;
}

/** What tests, the benchmark and a UI may see of a device login. The device code is not part of it. */
export interface DeviceLoginSnapshot {
  userCode: string;
  scopes: string[];
  state: DeviceLoginState;
  /** Whether `expires_in` has passed by now. */
  expired: boolean;
  createdAt: number;
  expiresAt: number;
  identity: Identity | undefined;
  /** On approval: which requested permissions the person granted and which they declined. */
  permissions: PermissionDecision | undefined;
  decidedAt: number | undefined;
  redeemedAt: number | undefined;
  /** Arrival time of every `login_status` poll of this code, by the stand-in's clock. */
  polls: number[];
  /** Polls that came sooner than the required interval after the previous poll of this code. */
  tooFastPolls: number;
  /** How many polls were answered "slow down". */
  slowDowns: number;
  requiredIntervalMs: number;
}

export type PollOutcome =
  | { kind: 'unknown' }
  | { kind: 'redeemed'; userCode: string }
  | { kind: 'expired'; userCode: string }
  | { kind: 'slow_down'; userCode: string }
  | { kind: 'declined'; userCode: string }
  | { kind: 'pending'; userCode: string }
  /** The first poll after approval: the caller hands out the token; the code is now redeemed. */
  | { kind: 'authorized'; userCode: string; identity: Identity; scopes: string[]; permissions: PermissionDecision };

export class DeviceLogins extends EventEmitter<{ change: [DeviceLoginEvent] }> {
  readonly #settings: DeviceLoginSettings;
  readonly #byCode = new Map<string, DeviceLogin>();
  readonly #byUserCode = new Map<string, DeviceLogin>();

  constructor(settings: DeviceLoginSettings) {
    super();
    this.setMaxListeners(0); // every waiter listens; a benchmark may have many
    this.#settings = settings;
  }

  /** `device/login`: a new device code and user code. */
  start(scopes: string[]): { code: string; userCode: string; expiresIn: number; interval: number } {
    const now = this.#settings.now();
    let userCode: string;
    do {
      userCode = Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
    } while (this.#byUserCode.has(userCode));
    const login: DeviceLogin = {
      code: randomBytes(16).toString('hex'),
      userCode,
      scopes,
      createdAt: now,
      expiresAt: now + this.#settings.expiresInSeconds * 1000,
      state: 'pending',
      identity: undefined,
      permissions: undefined,
      decidedAt: undefined,
      redeemedAt: undefined,
      polls: [],
      tooFastPolls: 0,
      slowDowns: 0,
      requiredIntervalMs: this.#settings.intervalSeconds * 1000,
    };
    this.#byCode.set(login.code, login);
    this.#byUserCode.set(userCode, login);
    this.emit('change', { kind: 'created', userCode, time: now });
    return { code: login.code, userCode, expiresIn: this.#settings.expiresInSeconds, interval: this.#settings.intervalSeconds };
  }

  /** `device/login_status`: records the poll and decides the answer. */
  poll(code: string): PollOutcome {
    const login = this.#byCode.get(code);
    if (!login) return { kind: 'unknown' };
    const now = this.#settings.now();
    const previous = login.polls.at(-1);
    login.polls.push(now);
    const tooFast = previous !== undefined && now - previous < login.requiredIntervalMs;
    if (tooFast) login.tooFastPolls++;

    const outcome = this.#answer(login, now, tooFast);
    if (outcome.kind === 'slow_down') {
      login.slowDowns++;
      login.requiredIntervalMs += this.#settings.slowDownPenaltySeconds * 1000;
    }
    if (outcome.kind === 'authorized') {
      login.state = 'redeemed';
      login.redeemedAt = now;
    }
    this.emit('change', { kind: 'polled', userCode: login.userCode, time: now, outcome: outcome.kind });
    return outcome;
  }

  #answer(login: DeviceLogin, now: number, tooFast: boolean): PollOutcome {
    const userCode = login.userCode;
    if (login.state === 'redeemed') return { kind: 'redeemed', userCode };
    if (now >= login.expiresAt) return { kind: 'expired', userCode };
    if (tooFast) return { kind: 'slow_down', userCode };
    if (login.state === 'declined') return { kind: 'declined', userCode };
    if (login.state === 'approved') {
      return { kind: 'authorized', userCode, identity: login.identity!, scopes: login.scopes, permissions: login.permissions! };
    }
    return { kind: 'pending', userCode };
  }

  /**
   * The user typed `userCode` and pressed Continue as `identity`, granting `grantedScopes` of the requested
   * permissions (all when undefined; `public_profile` always). Throws {@link DeviceCodeError}.
   */
  approve(userCode: string, identity: Identity, grantedScopes?: readonly string[]): void {
    const login = this.#decidable(userCode);
    login.state = 'approved';
    login.identity = { ...identity };
    login.permissions = decidePermissions(login.scopes, grantedScopes);
    login.decidedAt = this.#settings.now();
    this.emit('change', { kind: 'approved', userCode: login.userCode, time: login.decidedAt });
  }

  /** The user typed `userCode` and pressed Cancel. Throws {@link DeviceCodeError}. */
  decline(userCode: string): void {
    const login = this.#decidable(userCode);
    login.state = 'declined';
    login.decidedAt = this.#settings.now();
    this.emit('change', { kind: 'declined', userCode: login.userCode, time: login.decidedAt });
  }

  #decidable(userCode: string): DeviceLogin {
    const login = this.#byUserCode.get(normalizeUserCode(userCode));
    if (!login) throw new DeviceCodeError('unknown');
    if (this.#settings.now() >= login.expiresAt) throw new DeviceCodeError('expired');
    if (login.state !== 'pending') throw new DeviceCodeError('already_decided');
    return login;
  }

  snapshot(userCode: string): DeviceLoginSnapshot | undefined {
    const login = this.#byUserCode.get(normalizeUserCode(userCode));
    return login && this.#snapshotOf(login);
  }

  /** Every device login ever started, oldest first. */
  list(): DeviceLoginSnapshot[] {
    return [...this.#byUserCode.values()].map((login) => this.#snapshotOf(login));
  }

  #snapshotOf(login: DeviceLogin): DeviceLoginSnapshot {
    return {
      userCode: login.userCode,
      scopes: [...login.scopes],
      state: login.state,
      expired: this.#settings.now() >= login.expiresAt,
      createdAt: login.createdAt,
      expiresAt: login.expiresAt,
      identity: login.identity && { ...login.identity },
      permissions: login.permissions && { granted: [...login.permissions.granted], declined: [...login.permissions.declined] },
      decidedAt: login.decidedAt,
      redeemedAt: login.redeemedAt,
      polls: [...login.polls],
      tooFastPolls: login.tooFastPolls,
      slowDowns: login.slowDowns,
      requiredIntervalMs: login.requiredIntervalMs,
    };
  }
}

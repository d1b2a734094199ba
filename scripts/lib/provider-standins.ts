/**
 * The identity providers' stand-ins, started together (all five by default, or any subset), with one polling
 * interval for all: what the end-to-end tests and the playground put next to the Discord stand-in. Pass the
 * result to `workerVarsFor` (worker-vars.ts) and the Worker has exactly these providers enabled.
 */
import { startFacebookStandin, type FacebookStandin, type FacebookStandinOptions } from '../standins/facebook.ts';
import { startGitHubStandin, type GitHubStandin, type GitHubStandinOptions } from '../standins/github.ts';
import { startGoogleStandin, type GoogleStandin, type GoogleStandinOptions } from '../standins/google.ts';
import { startMicrosoftStandin, type MicrosoftStandin, type MicrosoftStandinOptions } from '../standins/microsoft.ts';
import { startOidcStandin, type OidcStandin, type OidcStandinOptions } from '../standins/oidc.ts';

export const PROVIDER_STANDIN_IDS = ['facebook', 'github', 'google', 'microsoft', 'oidc'] as const;
export type ProviderStandinId = (typeof PROVIDER_STANDIN_IDS)[number];

export interface ProviderStandinsOptions {
  /** Which to start. Default: all five. */
  only?: readonly ProviderStandinId[];
  /** Every stand-in's device-login `interval` (and the pace it holds polls to), unless its own options say. */
  intervalSeconds?: number;
  facebook?: FacebookStandinOptions;
  github?: GitHubStandinOptions;
  google?: GoogleStandinOptions;
  microsoft?: MicrosoftStandinOptions;
  oidc?: OidcStandinOptions;
}

export interface ProviderStandins {
  facebook?: FacebookStandin;
  github?: GitHubStandin;
  google?: GoogleStandin;
  microsoft?: MicrosoftStandin;
  oidc?: OidcStandin;
  /** The ids started, in the Worker's order. */
  readonly ids: ProviderStandinId[];
  /** Closes every stand-in started (also after a failed start). */
  close(): Promise<void>;
}

export async function startProviderStandins(options: ProviderStandinsOptions = {}): Promise<ProviderStandins> {
  const wanted = new Set(options.only ?? PROVIDER_STANDIN_IDS);
  const interval = options.intervalSeconds === undefined ? {} : { intervalSeconds: options.intervalSeconds };
  const started: ProviderStandins = {
    ids: PROVIDER_STANDIN_IDS.filter((id) => wanted.has(id)),
    async close() {
      const all = [started.facebook, started.github, started.google, started.microsoft, started.oidc];
      const results = await Promise.allSettled(all.map((standin) => standin?.close()));
      const failed = results.filter((result) => result.status === 'rejected');
      if (failed.length > 0) throw new AggregateError(failed.map((result) => result.reason), 'a provider stand-in did not close');
    },
  };
  // One at a time: each is quick, and a failure leaves a clear list of what to close.
  try {
    if (wanted.has('facebook')) started.facebook = await startFacebookStandin({ ...interval, ...options.facebook });
    if (wanted.has('github')) started.github = await startGitHubStandin({ ...interval, ...options.github });
    if (wanted.has('google')) started.google = await startGoogleStandin({ ...interval, ...options.google });
    if (wanted.has('microsoft')) started.microsoft = await startMicrosoftStandin({ ...interval, ...options.microsoft });
    if (wanted.has('oidc')) started.oidc = await startOidcStandin({ ...interval, ...options.oidc });
  } catch (error) {
    await started.close().catch(() => undefined);
    throw error;
  }
  return started;
}

/**
 * The providers this bot knows, in the order they are offered (and the default falls): Facebook, GitHub, Google,
 * Microsoft, any OpenID provider. Each is enabled by its own settings; a provider is one module in this folder
 * plus its line here.
 */
import { logOnce, type Vars } from '../config.ts';
import { facebook } from './facebook.ts';
import { github } from './github.ts';
import { google } from './google.ts';
import { microsoft } from './microsoft.ts';
import { oidc } from './oidc.ts';
import { PROVIDER_IDS, type Provider, type ProviderId, type ProviderModule } from './types.ts';

const MODULES: { [Id in ProviderId]: ProviderModule<never> } = {
  facebook: facebook as ProviderModule<never>,
  github: github as ProviderModule<never>,
  google: google as ProviderModule<never>,
  microsoft: microsoft as ProviderModule<never>,
  oidc: oidc as ProviderModule<never>,
};

export const isProviderId = (value: string): value is ProviderId => (PROVIDER_IDS as readonly string[]).includes(value);

export type ProviderState =
  /** None of its settings is set. */
  | { kind: 'disabled' }
  /** Some are set, but one is missing or malformed (logged once, by name). */
  | { kind: 'misconfigured' }
  | { kind: 'enabled'; provider: Provider };

// Provider objects hold no request state: one per isolate and env object is enough.
const built = new WeakMap<object, Map<ProviderId, Provider>>();

/** The state of one provider under `vars`. */
export function providerState(vars: Vars, id: ProviderId): ProviderState {
  const module = MODULES[id];
  const result = module.settings(vars);
  if (!result) return { kind: 'disabled' };
  if (!result.ok) return { kind: 'misconfigured' };
  let cache = built.get(vars);
  if (!cache) built.set(vars, (cache = new Map()));
  let provider = cache.get(id);
  if (!provider) cache.set(id, (provider = module.create(result.value as never)));
  return { kind: 'enabled', provider };
}

const LABELS: Record<ProviderId, string> = { facebook: 'Facebook', github: 'GitHub', google: 'Google', microsoft: 'Microsoft', oidc: 'OpenID' };

/** A provider's display name, enabled or not (the OpenID provider's is `OIDC_NAME`). */
export function providerLabel(vars: Vars, id: ProviderId): string {
  return enabledProvider(vars, id)?.name ?? (id === 'oidc' && vars.OIDC_NAME?.trim() ? vars.OIDC_NAME.trim().slice(0, 40) : LABELS[id]);
}

/** The first provider that is partly set up but misconfigured, to say which login is not set up yet. */
export function firstMisconfigured(vars: Vars): ProviderId | undefined {
  return PROVIDER_IDS.find((id) => providerState(vars, id).kind === 'misconfigured');
}

/** The provider `id` if it is enabled. */
export function enabledProvider(vars: Vars, id: ProviderId): Provider | undefined {
  const state = providerState(vars, id);
  return state.kind === 'enabled' ? state.provider : undefined;
}

/** Every enabled provider, in the registry's order. */
export function enabledProviders(vars: Vars): Provider[] {
  return PROVIDER_IDS.flatMap((id) => enabledProvider(vars, id) ?? []);
}

/**
 * The provider `/login` uses without the option: `DEFAULT_PROVIDER` when it is enabled, else the first enabled
 * one. Undefined (and logged once) when none is.
 */
export function defaultProvider(vars: Vars): Provider | undefined {
  const wanted = vars.DEFAULT_PROVIDER?.trim();
  if (wanted) {
    const provider = isProviderId(wanted) ? enabledProvider(vars, wanted) : undefined;
    if (provider) return provider;
    logOnce(vars, 'default-provider', { variable: 'DEFAULT_PROVIDER', problem: 'names no enabled provider; the first enabled one is used' });
  }
  const first = enabledProviders(vars)[0];
  if (!first && PROVIDER_IDS.every((id) => providerState(vars, id).kind === 'disabled')) {
    logOnce(vars, 'login', { variable: PROVIDER_IDS.map((id) => MODULES[id].mainVariable).join(', '), problem: 'are not set, so no login provider is set up' });
  }
  return first;
}

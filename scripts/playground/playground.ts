/**
 * The local playground: the real Worker under `wrangler dev`, the Discord stand-in, a stand-in for every identity
 * provider (Facebook, GitHub, Google, Microsoft, and oidc-provider as the OpenID one), and the page server, all on
 * 127.0.0.1. `npm start` (start.ts) runs it; the browser tests start it in-process.
 *
 * Set up as a real deployment is: the commands and the Linked Roles metadata registered (what `npm run
 * register-commands` does), the Worker's redirect URIs registered at Discord (`/linked-roles/callback`) and at
 * every provider (`/auth/<provider>/callback`), PUBLIC_BASE_URL the Worker's own URL.
 *
 * The page server takes its port first, before anything else starts: a port already in use (another
 * playground) fails at once, without starting wrangler for nothing.
 */
import { listenOnLoopback, sendJson, type Handler, type LoopbackServer } from '../lib/http.ts';
import { startProviderStandins, type ProviderStandins } from '../lib/provider-standins.ts';
import { registerApplication } from '../lib/register-application.ts';
import { workerVarsFor } from '../lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordStandin, type DiscordUser, type GuildRef } from '../standins/discord.ts';
import type { FacebookStandin } from '../standins/facebook.ts';
import type { GitHubStandin } from '../standins/github.ts';
import type { GoogleStandin } from '../standins/google.ts';
import type { MicrosoftStandin } from '../standins/microsoft.ts';
import type { OidcStandin } from '../standins/oidc.ts';
import { pageHandler } from './page-server.ts';

export const DEFAULT_PLAYGROUND_PORT = 8790;

/**
 * The providers' real interval is 5 s. The playground's stand-ins ask for 2 s, so an approval shows up in the
 * channel within about two seconds; the Worker polls at whatever interval a provider answers, as in production.
 */
export const PLAYGROUND_INTERVAL_SECONDS = 2;

/** The Discord user the page acts as, in a server of its own. */
export const PLAYGROUND_USER: DiscordUser = { id: '100000000000000001', username: 'you', globalName: 'You' };
export const PLAYGROUND_GUILD: GuildRef = { id: '200000000000000002', locale: 'en-US' };
/** The app's name in Discord: on its messages, its consent page and its Linked Roles requirements. */
export const PLAYGROUND_APP_NAME = 'Login Bot';

export interface PlaygroundOptions {
  /** The page's port; 0 lets the OS pick. Default 8790. */
  port?: number;
  /** Every provider stand-in's device-login `interval`. Default {@link PLAYGROUND_INTERVAL_SECONDS}. */
  intervalSeconds?: number;
  /** The project directory (wrangler.toml). Default: the current directory. */
  cwd?: string;
}

export interface Playground {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  readonly discord: DiscordStandin;
  readonly facebook: FacebookStandin;
  readonly github: GitHubStandin;
  readonly google: GoogleStandin;
  readonly microsoft: MicrosoftStandin;
  /** oidc-provider, the `oidc` provider ("OpenID"). */
  readonly oidc: OidcStandin;
  readonly worker: WorkerHandle;
  /** Stops everything it started, wrangler's whole process group included. */
  close(): Promise<void>;
}

/** The page's port is in use: most likely another playground. */
export class PortTakenError extends Error {
  override name = 'PortTakenError';
  readonly port: number;
  constructor(port: number) {
    super(`port ${port} is taken`);
    this.port = port;
  }
}

async function listenForPage(port: number, handler: Handler): Promise<LoopbackServer> {
  try {
    return await listenOnLoopback(handler, { port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortTakenError(port);
    throw error;
  }
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  // Until everything is up, the page server answers "starting" (the URL is printed only once it is ready).
  let handler: Handler = async (_request, response) => sendJson(response, 503, { error: 'the playground is starting' });
  const page = await listenForPage(options.port ?? DEFAULT_PLAYGROUND_PORT, (request, response) => handler(request, response));

  const started: Array<() => Promise<void>> = [() => page.close()];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of started.reverse()) await stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'the playground did not stop cleanly');
  };
  try {
    // The page's phone frame stands for the phone's own browser: Discord's consent page may show in it.
    const discord = await startDiscordStandin({ appName: PLAYGROUND_APP_NAME, webUser: PLAYGROUND_USER, frameAncestors: [page.url] });
    started.push(() => discord.close());
    const providers = await startProviderStandins({ intervalSeconds: options.intervalSeconds ?? PLAYGROUND_INTERVAL_SECONDS });
    started.push(() => providers.close());
    const { facebook, github, google, microsoft, oidc } = providers as Required<ProviderStandins>;
    let vars: Record<string, string> = {};
    const worker = await startWorker({
      ...(options.cwd ? { cwd: options.cwd } : {}),
      // PUBLIC_BASE_URL is the Worker's own URL: the browser-login button and the Linked Roles redirect point at it.
      vars: (url) => (vars = workerVarsFor({ discord, ...providers, publicBaseUrl: url, operatorName: 'Playground' })),
    });
    started.push(() => worker.stop());
    discord.allowRedirectUri(`${worker.url}/linked-roles/callback`);
    for (const id of providers.ids) providers[id]!.allowRedirectUri(`${worker.url}/auth/${id}/callback`);
    await registerApplication({ apiUrl: discord.apiUrl, applicationId: discord.applicationId, botToken: discord.botToken, vars });
    discord.setInteractionsUrl(`${worker.url}/interactions`);
    handler = pageHandler({
      discord,
      providers,
      user: PLAYGROUND_USER,
      guild: PLAYGROUND_GUILD,
      linkedRoles: { appName: PLAYGROUND_APP_NAME, verificationUrl: `${worker.url}/linked-roles` },
    });

    let closing: Promise<void> | undefined;
    return {
      url: `${page.url}/`,
      port: page.port,
      discord,
      facebook,
      github,
      google,
      microsoft,
      oidc,
      worker,
      close: () => (closing ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

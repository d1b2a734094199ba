/**
 * npm start: the playground (playground.ts) on http://127.0.0.1:8790/ (PLAYGROUND_PORT overrides the port).
 * Prints the URL to open; Ctrl-C (SIGINT) or SIGTERM stops everything it started. Exit status 1 when it
 * cannot start, e.g. because the port is taken.
 */
import { DEFAULT_PLAYGROUND_PORT, PLAYGROUND_INTERVAL_SECONDS, PortTakenError, startPlayground, type Playground } from './playground.ts';

function portFromEnvironment(): number {
  const text = process.env.PLAYGROUND_PORT;
  if (text === undefined || text === '') return DEFAULT_PLAYGROUND_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`PLAYGROUND_PORT must be a port number (1-65535), not ${JSON.stringify(text)}`);
    process.exit(1);
  }
  return port;
}

const port = portFromEnvironment();
let playground: Playground | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return; // npm passes Ctrl-C on as well: the second signal must not stop twice
  stopping = true;
  // Before it is up, exiting is enough: startWorker's exit hook and watchdog kill wrangler's process group.
  if (!playground) process.exit(130);
  console.log('\nStopping the playground…');
  try {
    await playground.close();
    console.log('Stopped.');
    process.exit(0);
  } catch (error) {
    console.error(`Could not stop cleanly: ${(error as Error).message}`);
    process.exit(1);
  }
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

console.log('Starting the playground: the Worker under wrangler dev, with stand-ins for Discord, Facebook, GitHub, Google, Microsoft and an OpenID provider…');
try {
  playground = await startPlayground({ port });
} catch (error) {
  if (error instanceof PortTakenError) {
    console.error(
      `Cannot start the playground: port ${error.port} is taken (is another \`npm start\` running?). ` +
        'Stop it, or choose another port: PLAYGROUND_PORT=8791 npm start',
    );
  } else console.error(`Cannot start the playground: ${(error as Error).message}`);
  process.exit(1);
}

console.log(`
Playground ready: open ${playground.url}

  Type /login provider: in the channel and pick a provider (Facebook without the option), follow the
  message's "Open …" link, choose who you are and confirm on the provider's page beside the channel;
  or take its "Sign in … in the browser" link. Pick a Discord language above the channel; open the
  server menu for Server Settings (a role with a Linked Roles requirement) and Linked Roles.
  The providers' polling interval is ${PLAYGROUND_INTERVAL_SECONDS} s here (5 s at the real ones).
  Everything runs on 127.0.0.1; Ctrl-C stops it.
`);

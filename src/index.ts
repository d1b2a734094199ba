/**
 * The Worker's entry: routes only. Discord's requests enter at POST /interactions; Facebook's deauthorize and
 * data-deletion callbacks at POST /facebook/*; people read /privacy and the deletion status page, sign in with a
 * provider in the browser at /auth/<provider>/start (a confirmation page, then its form) and /callback, and
 * connect Linked Roles at /linked-roles (Discord's Linked Roles Verification URL) and its callback.
 */
import { Router, type IRequest } from 'itty-router';
import { handleInteractionRequest } from './discord/interactions.ts';
import type { Env } from './env.ts';
import { textResponse } from './http.ts';
import { handleDataDeletion, handleDeauthorize } from './privacy/facebook-callbacks.ts';
import { deletionStatusPage, privacyPage } from './privacy/pages.ts';
import { browserLoginCallback, browserLoginConfirm, browserLoginStart } from './web/browser-login.ts';
import { linkedRolesCallback, startLinkedRoles } from './web/linked-roles.ts';

export { LoginSession } from './login/login-session.ts';

type Args = [Env, ExecutionContext];

const methodNotAllowed = (allow: string) => () => textResponse(405, 'method not allowed', { allow });

function onError(error: unknown): Response {
  console.error('unhandled error:', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  return textResponse(500, 'internal error');
}

const router = Router<IRequest, Args, Response>({ catch: onError })
  .get('/', () => textResponse(200, 'Account login bot for Discord: up. Discord sends interactions to POST /interactions.'))
  .all('/', methodNotAllowed('GET'))
  .post('/interactions', (request, env, ctx) => handleInteractionRequest(request, env, ctx))
  .all('/interactions', methodNotAllowed('POST'))
  .post('/facebook/deauthorize', (request, env) => handleDeauthorize(request, env))
  .all('/facebook/deauthorize', methodNotAllowed('POST'))
  .post('/facebook/data-deletion', (request, env) => handleDataDeletion(request, env))
  .all('/facebook/data-deletion', methodNotAllowed('POST'))
  .get('/facebook/deletion', (request, env) => deletionStatusPage(request, env))
  .all('/facebook/deletion', methodNotAllowed('GET'))
  .get('/privacy', (request, env) => privacyPage(request, env))
  .all('/privacy', methodNotAllowed('GET'))
  .get('/auth/:provider/start', (request, env) => browserLoginConfirm(request, env, request.params.provider!))
  .post('/auth/:provider/start', (request, env) => browserLoginStart(request, env, request.params.provider!))
  .get('/auth/:provider/callback', (request, env) => browserLoginCallback(request, env, request.params.provider!))
  .all('/auth/:provider/start', methodNotAllowed('GET, POST'))
  .all('/auth/:provider/callback', methodNotAllowed('GET'))
  .get('/linked-roles', (request, env) => startLinkedRoles(request, env))
  .all('/linked-roles', methodNotAllowed('GET'))
  .get('/linked-roles/callback', (request, env) => linkedRolesCallback(request, env))
  .all('/linked-roles/callback', methodNotAllowed('GET'))
  .all('*', () => textResponse(404, 'not found'));

export default {
  fetch(request, env, ctx) {
    // Discord's interactions are nearly every request the Worker gets: they skip the router, which copies the
    // query and sets properties on the Request for every route it tries (a few percent of a PING's cost).
    if (request.method === 'POST' && new URL(request.url).pathname === '/interactions') return handleInteractionRequest(request, env, ctx).catch(onError);
    return router.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('routes', () => {
  it('GET / is a health check naming the bot', async () => {
    const response = await exports.default.fetch('https://bot.example/');
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Account login bot for Discord: up/);
  });

  it('an unknown path is 404', async () => {
    expect((await exports.default.fetch('https://bot.example/nope')).status).toBe(404);
    expect((await exports.default.fetch('https://bot.example/interactions/extra', { method: 'POST' })).status).toBe(404);
  });

  it('a wrong method on a known path is 405 with an Allow header', async () => {
    const getInteractions = await exports.default.fetch('https://bot.example/interactions');
    expect(getInteractions.status).toBe(405);
    expect(getInteractions.headers.get('allow')).toBe('POST');
    const postRoot = await exports.default.fetch('https://bot.example/', { method: 'POST' });
    expect(postRoot.status).toBe(405);
    expect(postRoot.headers.get('allow')).toBe('GET');
  });
});

describe('privacy routes', () => {
  it.each([
    ['/facebook/deauthorize', 'GET', 'POST'],
    ['/facebook/data-deletion', 'GET', 'POST'],
    ['/facebook/data-deletion', 'PUT', 'POST'],
    ['/facebook/deletion', 'POST', 'GET'],
    ['/privacy', 'POST', 'GET'],
    ['/privacy', 'DELETE', 'GET'],
  ])('%s with %s is 405, Allow: %s', async (path, method, allow) => {
    const response = await exports.default.fetch(`https://bot.example${path}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
  });

  it('paths below the callbacks are 404', async () => {
    expect((await exports.default.fetch('https://bot.example/facebook/deauthorize/x', { method: 'POST' })).status).toBe(404);
    expect((await exports.default.fetch('https://bot.example/facebook')).status).toBe(404);
  });
});

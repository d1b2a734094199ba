/** The floor: answers every request with Discord's PONG, `{"type":1}`, verifying nothing and reading nothing. */
export default {
  fetch: () => new Response('{"type":1}', { headers: { 'content-type': 'application/json' } }),
};

-- Linked Roles. The Discord grant (access token, refresh token, expiry, scope) of each user who opened the bot's
-- Linked Roles page, so that the bot can update their role connection later without them coming back. Always
-- encrypted (AES-256-GCM under TOKEN_ENCRYPTION_KEY, see src/linked-roles/grant-crypto.ts); no token in clear.
CREATE TABLE discord_grants (
  discord_user_id TEXT    NOT NULL PRIMARY KEY,
  -- base64url(format version, key id, 96-bit IV, AES-GCM ciphertext and tag); the user id is its associated
  -- data, so a row copied to another user does not decrypt. Every write has a fresh IV, so the text also serves
  -- as the row's version for compare-and-swap updates.
  ciphertext      TEXT    NOT NULL,
  -- When the grant was last written (a new authorization or a refresh): Unix time in milliseconds.
  updated_at_ms   INTEGER NOT NULL
) STRICT;

-- The Linked Roles `state` values already used at the callback, so that each works once. The state itself is
-- signed and carries its expiry (10 minutes), so a row is needed only until then; expired rows are pruned when
-- a new one is added. Only a SHA-256 of the state is kept.
CREATE TABLE spent_oauth_states (
  state_hash    TEXT    NOT NULL PRIMARY KEY,
  expires_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX spent_oauth_states_by_expiry ON spent_oauth_states (expires_at_ms);

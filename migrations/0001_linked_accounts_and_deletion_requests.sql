-- Linked accounts: one row per Discord user who logged in with Facebook. Both ids are unique, so a lookup works
-- either way and neither a Discord user nor a Facebook account is ever linked twice.
-- Facebook's access token is deliberately not here: the login uses it once for the profile call and drops it.
CREATE TABLE linked_accounts (
  discord_user_id  TEXT    NOT NULL PRIMARY KEY,
  -- Facebook's app-scoped user id (ASID): the same person has a different id in every Facebook app.
  facebook_user_id TEXT    NOT NULL UNIQUE,
  -- The Facebook display name at the last login.
  facebook_name    TEXT    NOT NULL,
  -- Permissions granted at the last login, comma-separated (e.g. "public_profile").
  granted_scopes   TEXT    NOT NULL,
  -- When this Discord user was first linked to this Facebook account: Unix time in milliseconds.
  linked_at_ms     INTEGER NOT NULL
) STRICT;

-- Facebook data-deletion requests, kept only so that the status page Facebook links to can answer. On purpose no
-- Facebook id, no name, nothing that says whom a request was about.
CREATE TABLE deletion_requests (
  -- Random and unguessable (128 bits, hex): whoever holds it may read the status.
  confirmation_code TEXT    NOT NULL PRIMARY KEY,
  -- Unix time in milliseconds.
  requested_at_ms   INTEGER NOT NULL,
  -- 'completed': the data was deleted when the request arrived.
  status            TEXT    NOT NULL
) STRICT;

-- Old requests are pruned by time when a new one arrives.
CREATE INDEX deletion_requests_by_time ON deletion_requests (requested_at_ms);

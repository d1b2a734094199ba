-- Links per provider: a Discord user may link one account at each provider (Facebook, GitHub, Google,
-- Microsoft, an OpenID provider). An account at a provider is linked to at most one Discord user.
-- No token is stored here: a login uses the provider's token once, to read who logged in, and drops it.
CREATE TABLE links (
  discord_user_id TEXT    NOT NULL,
  -- The provider's id in the bot: 'facebook', 'github', 'google', 'microsoft' or 'oidc'.
  provider        TEXT    NOT NULL,
  -- The account's stable id at that provider: Facebook's app-scoped id, GitHub's numeric id, an ID token's sub.
  subject         TEXT    NOT NULL,
  -- The display name at the last login.
  name            TEXT    NOT NULL,
  -- The permissions the user granted at the last login, comma-separated (may be empty).
  granted_scopes  TEXT    NOT NULL,
  -- When this Discord user was first linked to this account: Unix time in milliseconds.
  linked_at_ms    INTEGER NOT NULL,
  PRIMARY KEY (discord_user_id, provider),
  UNIQUE (provider, subject)
-- WITHOUT ROWID: the primary key is the table itself, so a write touches the table and the one unique index,
-- not a third b-tree (D1 bills each row an index adds).
) STRICT, WITHOUT ROWID;

-- Every existing link is a Facebook link, carried over unchanged.
INSERT INTO links (discord_user_id, provider, subject, name, granted_scopes, linked_at_ms)
  SELECT discord_user_id, 'facebook', facebook_user_id, facebook_name, granted_scopes, linked_at_ms FROM linked_accounts;

DROP TABLE linked_accounts;

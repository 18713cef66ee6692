-- Links that set a new password (docs/decisions/0010-password-reset-tokens.md). The link carries a random
-- token; only its SHA-256 is stored, so the table opens no account. A link is used once, before it expires;
-- a new password, a newer link's use or the account's destruction removes every link of the account.
CREATE TABLE password_resets (
    token_hash  TEXT        PRIMARY KEY,
    user_id     TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
CREATE INDEX password_resets_by_expiry ON password_resets (expires_at);

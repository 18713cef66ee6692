-- A staff account an administrator disabled: it signs in no more, and its sessions and tokens ended when it
-- was disabled. Null for every account in use.
ALTER TABLE accounts ADD COLUMN disabled_at TIMESTAMPTZ;

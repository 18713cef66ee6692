-- The accounts and the information requests in 32 hash partitions of their stream's id, as every view kept for
-- each application is since 0029 (decision 0013): written anew whole by the scrub, the accounts alone locked
-- their table for 241 ms at 100,000 applications. In partitions, the scrub writes anew only those a deletion
-- touched.
--
-- An address names one account only. A unique constraint on a table in partitions must include the column it
-- is partitioned by, so the accounts' addresses are kept unique in a table of their own, in partitions of the
-- address, which a trigger keeps beside the accounts: a second account with an address already taken is
-- refused as before, by a unique violation, in the same statement.
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
SELECT etp_into_partitions('accounts', 'id', 32);
CREATE INDEX accounts_by_email ON accounts (email);

CREATE TABLE account_emails (
    email      TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL
) PARTITION BY HASH (email);
DO $$
BEGIN
    FOR remainder IN 0..31 LOOP
        EXECUTE format(
            'CREATE TABLE account_emails_%s PARTITION OF account_emails FOR VALUES WITH (MODULUS 32, REMAINDER %s)',
            lpad(remainder::text, 3, '0'), remainder);
    END LOOP;
END
$$;
INSERT INTO account_emails (email, account_id) SELECT email, id FROM accounts;

CREATE FUNCTION etp_keep_account_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM account_emails WHERE email = OLD.email AND account_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO account_emails (email, account_id) VALUES (NEW.email, NEW.id);
    END IF;
    RETURN NULL;
END
$$;
-- The scrub writes a partition of the accounts anew by copying its rows out and back (etp.scrubbing set in
-- its transaction): the addresses are already kept, and stay as they are.
CREATE TRIGGER account_email_kept AFTER INSERT OR DELETE OR UPDATE OF email ON accounts
    FOR EACH ROW WHEN (current_setting('etp.scrubbing', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION etp_keep_account_email();
CREATE TRIGGER account_emails_deleted AFTER DELETE ON account_emails
    FOR EACH ROW EXECUTE FUNCTION etp_note_scrub_pending();

-- An information request is a stream of its own, destroyed two years after it closed.
SELECT etp_into_partitions('information_requests', 'id', 32);

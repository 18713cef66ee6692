-- The sweep destroys inactive applicants' accounts 250 at a time. The row trigger that keeps
-- `account_emails` in step (0030) deleted each account's address by a statement of its own, planned across
-- the addresses' 32 partitions: 95 of the 106 ms a batch's DELETE took at 10,000 applications. A batch now
-- deletes its addresses itself, in one statement of the same transaction, with
-- `etp.addresses_by_statement` set for that transaction, and the trigger stands aside for it, as it does
-- for the scrub.
DROP TRIGGER account_email_kept ON accounts;
CREATE TRIGGER account_email_kept AFTER INSERT OR DELETE OR UPDATE OF email ON accounts
    FOR EACH ROW WHEN (current_setting('etp.scrubbing', true) IS DISTINCT FROM 'on'
        AND current_setting('etp.addresses_by_statement', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION etp_keep_account_email();

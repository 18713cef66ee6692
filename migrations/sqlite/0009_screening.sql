-- The cycles' screening rules (CycleTermsSet version 2): the eligible nationalities moved into
-- `terms.screening`, beside rules a cycle of the earlier shape never set. The view's rows are brought to the
-- new shape in place, as the event upcaster brings the events (domain/src/evolution.rs).
UPDATE cycles
SET terms = json_set(
    json_remove(terms, '$.eligible_nationalities'),
    '$.screening',
    json_object(
        'eligible_nationalities', json_extract(terms, '$.eligible_nationalities'),
        'undergraduate_degree', json('false'),
        'minimum_work_years', json('null'),
        'return_home_commitment', json('false')
    )
)
WHERE json_type(terms, '$.screening') IS NULL;

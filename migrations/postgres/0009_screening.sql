-- The cycles' screening rules (CycleTermsSet version 2): the eligible nationalities moved into
-- `terms.screening`, beside rules a cycle of the earlier shape never set. The view's rows are brought to the
-- new shape in place, as the event upcaster brings the events (domain/src/evolution.rs).
UPDATE cycles
SET terms = (
    (terms::jsonb - 'eligible_nationalities')
    || jsonb_build_object(
        'screening',
        jsonb_build_object(
            'eligible_nationalities', COALESCE(terms::jsonb -> 'eligible_nationalities', 'null'::jsonb),
            'undergraduate_degree', false,
            'minimum_work_years', NULL,
            'return_home_commitment', false
        )
    )
)::text
WHERE NOT (terms::jsonb ? 'screening');

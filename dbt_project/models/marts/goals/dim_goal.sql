select
    goal_id::varchar as goal_id,
    parent_goal_id::varchar as parent_goal_id,
    goal_type::varchar as goal_type,
    title::varchar as title,
    owner_type::varchar as owner_type,
    owner_id::varchar as owner_id,
    kpi_key::varchar as kpi_key,
    period::varchar as period,
    period_start::date as period_start,
    period_end::date as period_end,
    baseline::double as baseline,
    target::double as target,
    weight::double as weight,
    revision::integer as revision,
    valid_from::date as valid_from,
    valid_to::date as valid_to
from {{ ref('int_goal_revisions') }}

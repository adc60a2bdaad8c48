-- Every (ancestor, descendant) pair of today's org tree, each unit its own ancestor at distance 0: the subtree a
-- team or department value covers (KPI rule 3), published so the dashboards' access scope reads it, not a recursion.
select
    ancestor_id::varchar as ancestor_id,
    descendant_id::varchar as descendant_id,
    distance::integer as distance
from {{ ref('int_org_subtree') }}

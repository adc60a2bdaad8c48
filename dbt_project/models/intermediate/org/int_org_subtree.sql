-- Every (ancestor, descendant) pair of the org tree, each unit its own ancestor:
-- a team or department value covers its whole subtree (KPI rule 3).
with recursive units as (
    select org_unit_id, parent_id from {{ ref('int_org_units_pathed') }}
),

subtree as (
    select org_unit_id as ancestor_id, org_unit_id as descendant_id, 0 as distance from units
    union all
    select subtree.ancestor_id, units.org_unit_id, subtree.distance + 1
    from subtree
    join units on units.parent_id = subtree.descendant_id
    where subtree.distance < 20
)

select ancestor_id, descendant_id, distance from subtree

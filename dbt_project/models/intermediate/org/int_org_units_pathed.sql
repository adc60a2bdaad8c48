-- The org tree with each unit's path from the company and its depth (company = 0).
with recursive units as (
    select * from {{ ref('stg_hr__org_units') }}
),

tree as (
    select org_unit_id, name, unit_type, parent_id, manager_employee_id, name as path, 0 as depth
    from units
    where parent_id is null
    union all
    select units.org_unit_id, units.name, units.unit_type, units.parent_id, units.manager_employee_id,
           tree.path || ' / ' || units.name, tree.depth + 1
    from units
    join tree on units.parent_id = tree.org_unit_id
    where tree.depth < 20  -- a cycle in the HR export cannot loop forever
)

select * from tree

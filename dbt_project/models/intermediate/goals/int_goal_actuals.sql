-- Period-to-date value of each KPI goal's KPI for its owner (a person, or an org unit's whole subtree),
-- aggregated once by the catalogue's measure (KPI rule 3).
with targets as (
    select * from {{ ref('int_goal_targets_in_force') }} where kpi_key is not null
),

events as (
    select * from {{ ref('int_kpi_events') }} where employee_id is not null
),

subject_events as (
    select kpi_key, 'employee' as owner_type, employee_id as owner_id, event_date, numerator, denominator, value
    from events
    union all
    select events.kpi_key, 'org_unit', subtree.ancestor_id, events.event_date, events.numerator, events.denominator,
           events.value
    from events
    join {{ ref('int_org_subtree') }} as subtree on subtree.descendant_id = events.org_unit_id
)

select
    targets.goal_id,
    targets.as_of_date,
    {{ kpi_value('kpis.measure') }} as actual,
    count(subject_events.kpi_key) as record_count
from targets
join {{ ref('kpi_catalogue') }} as kpis on kpis.kpi_key = targets.kpi_key
left join subject_events
    on subject_events.kpi_key = targets.kpi_key
    and subject_events.owner_type = targets.owner_type
    and subject_events.owner_id = targets.owner_id
    and subject_events.event_date between targets.period_start and targets.as_of_date
group by targets.goal_id, targets.as_of_date, kpis.measure

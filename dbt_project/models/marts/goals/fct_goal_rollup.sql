-- One roll-up of goal status, defined once (rule 16), per org unit or person and goal period: the goals in force
-- over the period (a yearly objective counts for each of its quarters). For a unit: its own goals (objectives and
-- KPI goals; key results are inside their objectives), the goals and people beneath it (its whole subtree, people
-- by their unit today), counted by status, and the worst status beneath. own_status is the worst of its own goals'
-- statuses; needs_attention when more than `rollup_attention_share` of the people beneath are off track. For a
-- person, own goals and "beneath" are the same: their KPI and key-result goals.
with periods as (
    select distinct period, period_start, period_end from {{ ref('dim_goal') }}
),

severity as (
    select * from (values ('off_track', 0), ('at_risk', 1), ('no_data', 2), ('on_track', 3), ('achieved', 4))
        as t(status, rank)
),

goals as (
    select periods.period, goals.goal_id, goals.goal_type, goals.owner_type, goals.owner_id, goals.weight,
           goals.attainment, coalesce(goals.status, 'no_data') as status, severity.rank
    from {{ ref('fct_goal_status') }} as goals
    join periods on goals.period_start <= periods.period_end and goals.period_end >= periods.period_start
    join severity on severity.status = coalesce(goals.status, 'no_data')
),

measured as (
    -- what is counted beneath: measured goals (KPI goals and key results), not the objectives they roll into
    select * from goals where goal_type in ('kpi', 'key_result')
),

people as (
    select period, owner_id as employee_id, min(rank) as worst_rank
    from measured where owner_type = 'employee'
    group by period, owner_id
),

placed as (
    select measured.*, coalesce(employees.org_unit_id, measured.owner_id) as unit_id
    from measured
    left join {{ ref('dim_employee') }} as employees
        on measured.owner_type = 'employee' and employees.employee_id = measured.owner_id
),

own_units as (
    select period, owner_id as unit_id, count(*) as own_goals,
           round(sum(weight * attainment) filter (where attainment is not null)
               / nullif(sum(weight) filter (where attainment is not null), 0), 9) as own_attainment,
           min(rank) as own_rank
    from goals
    where owner_type = 'org_unit' and goal_type in ('objective', 'kpi')
    group by period, owner_id
),

beneath_goals as (
    select tree.ancestor_id as unit_id, placed.period, count(*) as goals_beneath,
           count(*) filter (where placed.status in ('on_track', 'achieved')) as goals_on_track,
           count(*) filter (where placed.status = 'at_risk') as goals_at_risk,
           count(*) filter (where placed.status = 'off_track') as goals_off_track,
           min(placed.rank) as worst_rank
    from placed
    join {{ ref('dim_org_subtree') }} as tree on tree.descendant_id = placed.unit_id
    -- a unit's own measured goals are "its own", not "beneath"
    where not (placed.owner_type = 'org_unit' and placed.owner_id = tree.ancestor_id)
    group by tree.ancestor_id, placed.period
),

beneath_people as (
    select tree.ancestor_id as unit_id, people.period, count(*) as people_beneath,
           count(*) filter (where people.worst_rank >= 3) as people_on_track,
           count(*) filter (where people.worst_rank = 1) as people_at_risk,
           count(*) filter (where people.worst_rank = 0) as people_off_track
    from people
    join {{ ref('dim_employee') }} as employees using (employee_id)
    join {{ ref('dim_org_subtree') }} as tree on tree.descendant_id = employees.org_unit_id
    group by tree.ancestor_id, people.period
),

units as (
    select
        'org_unit' as subject_type,
        units.org_unit_id as subject_id,
        periods.period,
        coalesce(own_units.own_goals, 0) as own_goals,
        own_units.own_attainment,
        (select status from severity where rank = own_units.own_rank) as own_status,
        coalesce(beneath_goals.goals_beneath, 0) as goals_beneath,
        coalesce(beneath_goals.goals_on_track, 0) as goals_on_track,
        coalesce(beneath_goals.goals_at_risk, 0) as goals_at_risk,
        coalesce(beneath_goals.goals_off_track, 0) as goals_off_track,
        coalesce(beneath_people.people_beneath, 0) as people_beneath,
        coalesce(beneath_people.people_on_track, 0) as people_on_track,
        coalesce(beneath_people.people_at_risk, 0) as people_at_risk,
        coalesce(beneath_people.people_off_track, 0) as people_off_track,
        (select status from severity where rank = beneath_goals.worst_rank) as worst_status_beneath
    from {{ ref('dim_org_unit') }} as units
    cross join periods
    left join own_units on own_units.unit_id = units.org_unit_id and own_units.period = periods.period
    left join beneath_goals on beneath_goals.unit_id = units.org_unit_id and beneath_goals.period = periods.period
    left join beneath_people on beneath_people.unit_id = units.org_unit_id and beneath_people.period = periods.period
    where own_units.unit_id is not null or beneath_goals.unit_id is not null
),

persons as (
    select
        'employee' as subject_type,
        owner_id as subject_id,
        period,
        count(*) as own_goals,
        round(sum(weight * attainment) filter (where attainment is not null)
            / nullif(sum(weight) filter (where attainment is not null), 0), 9) as own_attainment,  -- same bits each build
        (select status from severity where rank = min(measured.rank)) as own_status,
        count(*) as goals_beneath,
        count(*) filter (where status in ('on_track', 'achieved')) as goals_on_track,
        count(*) filter (where status = 'at_risk') as goals_at_risk,
        count(*) filter (where status = 'off_track') as goals_off_track,
        1 as people_beneath,
        (min(rank) >= 3)::int as people_on_track,
        (min(rank) = 1)::int as people_at_risk,
        (min(rank) = 0)::int as people_off_track,
        (select status from severity where rank = min(measured.rank)) as worst_status_beneath
    from measured
    where owner_type = 'employee'
    group by owner_id, period
),

rolled as (
    select * from units
    union all
    select * from persons
)

select
    subject_type::varchar as subject_type,
    subject_id::varchar as subject_id,
    period::varchar as period,
    own_goals::integer as own_goals,
    own_attainment::double as own_attainment,
    own_status::varchar as own_status,
    goals_beneath::integer as goals_beneath,
    goals_on_track::integer as goals_on_track,
    goals_at_risk::integer as goals_at_risk,
    goals_off_track::integer as goals_off_track,
    people_beneath::integer as people_beneath,
    people_on_track::integer as people_on_track,
    people_at_risk::integer as people_at_risk,
    people_off_track::integer as people_off_track,
    worst_status_beneath::varchar as worst_status_beneath,
    (people_beneath > 0 and people_off_track > {{ var('rollup_attention_share') }} * people_beneath)::boolean
        as needs_attention
from rolled

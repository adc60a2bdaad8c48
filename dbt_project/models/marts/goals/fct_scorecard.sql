-- Each employee's score per goal period (rule 10), forced-distribution proposal within the
-- department (rule 11, a calibration aid) and consecutive low periods (rule 12, HR only).
-- Rule 14: only periods the person was employed in have a row (their goals are measured from their hire date); a
-- person employed fewer than `min_tenure_days` of the period (or of a shorter period, all of it) is shown but not
-- graded or ranked, and consecutive low periods count graded periods only.
with progress as (
    select progress.*, targets.owner_id as employee_id, targets.period, targets.weight, targets.employed_days,
           targets.period_days
    from {{ ref('fct_goal_progress') }} as progress
    join {{ ref('int_goal_targets_in_force') }} as targets using (goal_id, as_of_date)
    where targets.owner_type = 'employee' and targets.goal_type in ('kpi', 'key_result')
),

latest as (
    -- a period's score is taken at its end, or on the data's as-of day while it runs
    select * from progress
    qualify row_number() over (partition by goal_id order by as_of_date desc) = 1
),

scores as (
    select
        employee_id,
        period,
        max(as_of_date) as scored_on,
        max(employed_days) as employed_days,
        max(period_days) as period_days,
        -- rounded: a parallel sum's last bits vary between builds, and the force ranking must not
        round(sum(weight * least(attainment, {{ var('attainment_cap') }})) filter (where attainment is not null)
            / nullif(sum(weight) filter (where attainment is not null), 0), 9) as weighted_score
    from latest
    group by employee_id, period
),

departments as (
    select subtree.descendant_id as org_unit_id, subtree.ancestor_id as department_id
    from {{ ref('int_org_subtree') }} as subtree
    join {{ ref('int_org_units_pathed') }} as units on units.org_unit_id = subtree.ancestor_id
    where units.unit_type = 'department'
),

placed as (
    select scores.*, coalesce(departments.department_id, history.org_unit_id) as unit_id
    from scores
    left join {{ ref('int_employee_history') }} as history
        on history.employee_id = scores.employee_id
        and history.valid_from <= scores.scored_on
        and scores.scored_on < {{ valid_until('history.valid_to') }}
    left join departments on departments.org_unit_id = history.org_unit_id
),

tenured as (
    select
        *,
        weighted_score is not null and unit_id is not null
            -- unknown tenure (an owner missing from HR) counts as the whole period
            and coalesce(employed_days >= least({{ var('min_tenure_days') }}, period_days), true) as is_graded
    from placed
),

ranked as (
    select
        *,
        case when is_graded then
            rank() over (partition by period, unit_id, is_graded order by weighted_score desc)
        end as rank_in_unit,
        count(*) filter (where is_graded) over (partition by period, unit_id) as unit_size
    from tenured
),

graded as (
    select
        *,
        case
            when not is_graded or unit_size < {{ var('min_unit_size') }} then null
            -- ties share a rank, hence the better grade
            when rank_in_unit <= round(unit_size * {{ var('grade_quota_a') }}) then 'A'
            when rank_in_unit <= round(unit_size * ({{ var('grade_quota_a') }} + {{ var('grade_quota_b') }})) then 'B'
            else 'C'
        end as grade,
        is_graded and weighted_score < {{ var('low_score_threshold') }} as is_low,
        length(period) as period_granularity
    from ranked
),

streaks as (
    -- over graded periods only: an ungraded period (too short a tenure) neither starts nor breaks a streak
    select
        *,
        count(*) filter (where not is_low) over (
            partition by employee_id, period_granularity, is_graded order by period rows unbounded preceding
        ) as streak_group
    from graded
),

reviews as (
    -- the manager's review score beside the computed one (calibration): the review of the half-year cycle the
    -- period's scoring day falls in, else the latest review submitted by that day
    select employee_id, cycle, manager_score, submitted_on,
           cast(split_part(cycle, '-H', 1) as integer) as cycle_year,
           cast(split_part(cycle, '-H', 2) as integer) as cycle_half
    from {{ ref('stg_reviews__reviews') }}
    where cycle similar to '[0-9]{4}-H[12]'
),

counted as (
    select
        *,
        case when is_low then
            count(*) filter (where is_low) over (
                partition by employee_id, period_granularity, is_graded, streak_group
                order by period rows unbounded preceding)
        else 0 end as consecutive_low_periods
    from streaks
),

reviewed as (
    select counted.*, reviews.cycle as review_cycle, reviews.manager_score as review_score
    from counted
    left join reviews
        on reviews.employee_id = counted.employee_id
        and ((reviews.cycle_year = extract(year from counted.scored_on)
              and reviews.cycle_half = case when extract(month from counted.scored_on) <= 6 then 1 else 2 end)
             or reviews.submitted_on <= counted.scored_on)
    qualify row_number() over (
        partition by counted.employee_id, counted.period
        order by (reviews.cycle_year = extract(year from counted.scored_on)
                  and reviews.cycle_half = case when extract(month from counted.scored_on) <= 6 then 1 else 2 end)
                 desc nulls last,
                 reviews.submitted_on desc nulls last) = 1
)

select
    employee_id::varchar as employee_id,
    period::varchar as period,
    weighted_score::double as weighted_score,
    rank_in_unit::integer as rank_in_unit,
    unit_size::integer as unit_size,
    grade::varchar as grade,
    consecutive_low_periods::integer as consecutive_low_periods,
    (consecutive_low_periods >= 2)::boolean as pip_candidate,
    unit_id::varchar as unit_id,
    scored_on::date as scored_on,
    is_graded::boolean as is_graded,
    employed_days::integer as employed_days,
    review_cycle::varchar as review_cycle,
    review_score::double as review_score
from reviewed

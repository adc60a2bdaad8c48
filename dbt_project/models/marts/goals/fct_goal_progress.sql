-- Where every goal stands on every as-of date: attainment (rule 6), pacing and status (rule 7),
-- forecast (rule 8), objective roll-up (rule 9), against the target in force (rule 13), prorated to the days the
-- owner was employed in the period (rule 14; `prorate_targets`).
with targets as (
    select * from {{ ref('int_goal_targets_in_force') }}
),

measured as (
    select
        targets.*,
        kpis.direction,
        kpis.pacing,
        case when kpis.pacing = 'cumulative' then coalesce(actuals.actual, 0) else actuals.actual end as actual,
        coalesce(actuals.record_count, 0) as record_count,
        -- a cumulative target covers the days employed: a mid-quarter hire owes the share of the quarter they work
        -- (days employed over days in the period; kept apart so that target * days / period stays exact)
        {%- set prorated %}kpis.pacing = 'cumulative' and {{ 'true' if var('prorate_targets') else 'false' }}
                and targets.employed_days is not null{% endset %}
        case when {{ prorated }} then targets.employed_days else 1 end as tenure_days,
        case when {{ prorated }} then targets.period_days else 1 end as tenure_of,
        -- the elapsed share of the employed part of the period (the whole period for teams and full-period people)
        case
            when kpis.pacing = 'cumulative' then least(1.0,
                ({{ dbt.datediff('coalesce(targets.employed_from, targets.period_start)', 'targets.as_of_date', 'day') }} + 1)
                / coalesce(targets.employed_days,
                           {{ dbt.datediff('targets.period_start', 'targets.period_end', 'day') }} + 1)::double)
            else 1.0
        end as expected_attainment
    from targets
    join {{ ref('kpi_catalogue') }} as kpis on kpis.kpi_key = targets.kpi_key
    left join {{ ref('int_goal_actuals') }} as actuals
        on actuals.goal_id = targets.goal_id and actuals.as_of_date = targets.as_of_date
    where targets.goal_type in ('kpi', 'key_result')
),

measured_goals as (
    select
        *,
        target * tenure_days / tenure_of as target_due,
        -- a rate on fewer than min_records_for_status due records is not red or green yet (rule 15)
        (pacing = 'rate' and record_count < {{ var('min_records_for_status') }}) or target is null as is_no_data
    from measured
),

attained as (
    select
        *,
        case when not is_no_data then
            {{ attainment('actual', '(target * tenure_days / tenure_of)', '(baseline * tenure_days / tenure_of)', 'direction') }}
        end as attainment,
        -- cumulative KPIs project the period-to-date run rate to the period end
        case when pacing = 'cumulative' then actual / expected_attainment else actual end as forecast_value
    from measured_goals
),

forecast as (
    select
        *,
        case when not is_no_data then
            {{ attainment('forecast_value', 'target_due', '(baseline * tenure_days / tenure_of)', 'direction') }}
        end as forecast_attainment
    from attained
),

objectives as (
    -- an objective is the weight-normalised mean of its key results that have data
    select
        targets.goal_id,
        targets.as_of_date,
        targets.period_end,
        null::double as actual,
        null::double as target,
        sum(krs.weight * krs.attainment) / nullif(sum(krs.weight), 0) as attainment,
        sum(krs.weight * krs.expected_attainment) / nullif(sum(krs.weight), 0) as expected_attainment,
        null::double as forecast_value,
        sum(krs.weight * krs.forecast_attainment) / nullif(sum(krs.weight), 0) as forecast_attainment,
        count(krs.goal_id) = 0 as is_no_data,
        'rate' as pacing,
        targets.revision
    from targets
    left join forecast as krs
        on krs.parent_goal_id = targets.goal_id
        and krs.as_of_date = targets.as_of_date
        and krs.goal_type = 'key_result'
        and not krs.is_no_data
    where targets.goal_type = 'objective'
    group by targets.goal_id, targets.as_of_date, targets.period_end, targets.revision
),

all_goals as (
    select goal_id, as_of_date, period_end, actual, target_due as target, attainment, expected_attainment,
           forecast_value, forecast_attainment, is_no_data, pacing, revision
    from forecast
    union all
    select goal_id, as_of_date, period_end, actual, target, attainment, expected_attainment, forecast_value,
           forecast_attainment, is_no_data, pacing, revision
    from objectives
),

new_rows as (
    select
        goal_id::varchar as goal_id,
        as_of_date::date as as_of_date,
        actual::double as actual,
        target::double as target,
        attainment::double as attainment,
        expected_attainment::double as expected_attainment,
        (case
            when is_no_data or attainment is null then 'no_data'
            when attainment >= 1 and (as_of_date >= period_end or pacing = 'cumulative') then 'achieved'
            when attainment / nullif(expected_attainment, 0) >= {{ var('status_on_track') }} then 'on_track'
            when attainment / nullif(expected_attainment, 0) >= {{ var('status_at_risk') }} then 'at_risk'
            else 'off_track'
        end)::varchar as status,
        forecast_value::double as forecast_value,
        forecast_attainment::double as forecast_attainment,
        revision::integer as target_revision
    from all_goals
)

-- a backfill keeps progress as of days before its day
{{ keep_before_backfill('new_rows', 'as_of_date < {since}') }}

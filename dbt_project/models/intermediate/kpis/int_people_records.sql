-- KPI records from the inbox files: 1:1 coverage, review completion, manual points.
-- These name the employee directly (source 'inbox').
-- Due records (rule 15): a (manager, report, month) 1:1 slot counts once its month has ended, or as soon as it is
-- met; a review form counts once its cycle's window has closed (the day after the cycle ends).
with as_of as (
    select as_of_date from {{ ref('int_data_as_of') }}
),

months as (
    select unnest(generate_series(
        (select date_trunc('month', min(held_on)) from {{ ref('stg_one_on_ones__one_on_ones') }}),
        (select date_trunc('month', as_of_date) from as_of),
        interval 1 month))::date as month_start
),

report_slots as (
    -- who reported to whom at the end of each month (or on the as-of day for the current month)
    select
        months.month_start,
        history.manager_id,
        history.employee_id
    from months
    cross join as_of
    join {{ ref('int_employee_history') }} as history
        on history.valid_from <= least(last_day(months.month_start), as_of.as_of_date)
        and {{ valid_until('history.valid_to') }} > least(last_day(months.month_start), as_of.as_of_date)
    join {{ ref('stg_hr__employees') }} as employees
        on employees.employee_id = history.employee_id
        and employees.hire_date <= least(last_day(months.month_start), as_of.as_of_date)
        and {{ valid_until('employees.termination_date') }} > least(last_day(months.month_start), as_of.as_of_date)
    where history.manager_id is not null
),

coverage as (
    select
        slots.*,
        exists (
            select 1 from {{ ref('stg_one_on_ones__one_on_ones') }} as meetings
            where meetings.manager_id = slots.manager_id and meetings.employee_id = slots.employee_id
              and date_trunc('month', meetings.held_on) = slots.month_start
        ) as met,
        last_day(slots.month_start) <= as_of.as_of_date as month_ended
    from report_slots as slots
    cross join as_of
),

due_slots as (
    -- the running month's slot is not missed yet: on the 1st every manager would turn red, and green again later
    select * from coverage where met or month_ended
)

select 'mgmt_one_on_one_coverage' as kpi_key, 'inbox' as source,
       manager_id || ':' || employee_id || ':' || month_start as record_id, manager_id as source_user_id,
       month_start as event_date, case when met then 1 else 0 end::double as numerator, 1::double as denominator,
       null::double as value
from due_slots
union all
select 'mgmt_review_completion', 'inbox', review_id, reviewer_id,
       -- a form falls due the day after its cycle ends
       case when cycle like '%-H1' then make_date(left(cycle, 4)::int, 7, 1)
            else make_date(left(cycle, 4)::int + 1, 1, 1) end,
       case when submitted_on is not null then 1 else 0 end, 1, null
from {{ ref('stg_reviews__reviews') }}
union all
select kpi_key, 'inbox', entry_id, employee_id, entry_date, value, null, value
from {{ ref('stg_manual__manual_entries') }}

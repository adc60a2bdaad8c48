-- Every KPI record with the person it counts for and that person's org unit on the event date
-- (KPI rules 2 and 4). Records whose person cannot be matched keep employee_id null.
with records as (
    select * from {{ ref('int_sales_records') }}
    union all
    select * from {{ ref('int_delivery_records') }}
    union all
    select * from {{ ref('int_support_records') }}
    union all
    select * from {{ ref('int_people_records') }}
),

identities as (
    select source, source_user_id, employee_id from {{ ref('int_identities_resolved') }}
    union all
    select 'inbox', employee_id, employee_id from {{ ref('stg_hr__employees') }}
),

attributed as (
    select records.*, identities.employee_id
    from records
    left join identities
        on identities.source = records.source and identities.source_user_id = records.source_user_id
)

select
    attributed.kpi_key,
    attributed.source,
    attributed.record_id,
    attributed.source_user_id,
    attributed.employee_id,
    history.org_unit_id,
    attributed.event_date,
    -- exact decimals, so sums do not depend on the order rows are added in (incremental == full)
    attributed.numerator::decimal(38, 6) as numerator,
    attributed.denominator::decimal(38, 6) as denominator,
    attributed.value::decimal(38, 6) as value
from attributed
left join {{ ref('int_employee_history') }} as history
    on history.employee_id = attributed.employee_id
    and attributed.event_date >= history.valid_from
    and attributed.event_date < {{ valid_until('history.valid_to') }}

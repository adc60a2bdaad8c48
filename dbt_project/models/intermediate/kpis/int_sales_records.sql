-- One row per CRM record and KPI it feeds, dated in the company's time zone.
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

won as (
    select * from deals where deal_stage = 'closedwon' and closed_at is not null
)

select 'sales_closed_won_amount' as kpi_key, 'hubspot' as source, deal_id as record_id, owner_id as source_user_id,
       closed_at::date as event_date, amount as numerator, null::double as denominator, amount as value
from won
union all
select 'sales_win_rate', 'hubspot', deal_id, owner_id, closed_at::date,
       case when deal_stage = 'closedwon' then 1 else 0 end, 1, null
from deals
where deal_stage in ('closedwon', 'closedlost') and closed_at is not null
union all
select 'sales_pipeline_created_amount', 'hubspot', deal_id, owner_id, created_at::date, amount, null, amount
from deals
union all
select 'sales_days_to_close', 'hubspot', deal_id, owner_id, closed_at::date, null, null,
       (epoch(closed_at) - epoch(created_at)) / 86400.0
from won
union all
-- calls and meetings are separate HubSpot objects whose ids can coincide: the record id names the object
select 'sales_activities', 'hubspot', 'call:' || call_id, owner_id, occurred_at::date, 1, null, 1
from {{ ref('stg_hubspot__calls') }}
union all
select 'sales_activities', 'hubspot', 'meeting:' || meeting_id, owner_id, occurred_at::date, 1, null, 1
from {{ ref('stg_hubspot__meetings') }}
where outcome = 'COMPLETED'

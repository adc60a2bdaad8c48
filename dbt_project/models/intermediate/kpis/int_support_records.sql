-- One row per Zendesk ticket or rating and KPI it feeds.
-- Due records (rule 15): a ticket counts for the SLA rate once it has a first reply, or once its first-reply
-- window has passed without one while still open (missed, on its creation date); a rating once given; a solved
-- ticket once solved.
with tickets as (
    select tickets.*, metrics.first_reply_minutes, metrics.solved_at
    from {{ ref('stg_zendesk__tickets') }} as tickets
    left join {{ ref('stg_zendesk__ticket_metrics') }} as metrics using (ticket_id)
),

sla as (
    select * from {{ ref('sla_policies') }}
)

select 'support_tickets_solved' as kpi_key, 'zendesk' as source, ticket_id as record_id,
       assignee_id as source_user_id, solved_at::date as event_date,
       1::double as numerator, null::double as denominator, 1::double as value
from tickets
where status in ('solved', 'closed') and solved_at is not null
union all
select 'support_first_reply_minutes', 'zendesk', ticket_id, assignee_id, created_at::date, null, null,
       first_reply_minutes
from tickets
where first_reply_minutes is not null
union all
select 'support_sla_met_rate', 'zendesk', ticket_id, assignee_id, created_at::date,
       case when tickets.first_reply_minutes <= sla.first_reply_minutes then 1 else 0 end, 1, null
from tickets
join sla using (priority)
where tickets.first_reply_minutes is not null
union all
select 'support_sla_met_rate', 'zendesk', ticket_id, assignee_id, created_at::date, 0, 1, null
from tickets
join sla using (priority)
where tickets.first_reply_minutes is null and tickets.status not in ('solved', 'closed')
  and {{ dbt.dateadd('minute', 'sla.first_reply_minutes', 'tickets.created_at') }}
      < (select as_of_date from {{ ref('int_data_as_of') }})
union all
select 'support_csat', 'zendesk', rating_id, assignee_id, created_at::date,
       case when score = 'good' then 1 else 0 end, 1, null
from {{ ref('stg_zendesk__satisfaction_ratings') }}
where score in ('good', 'bad')

-- Tickets as they stand now, deleted ones removed (KPI rule 5).
select * exclude (is_deleted, _last_loaded_at)
from {{ ref('base_zendesk__tickets') }}
where not is_deleted

-- Deals as they stand now, archived (deleted in the CRM) removed (KPI rule 5).
select * exclude (is_archived, _last_loaded_at)
from {{ ref('base_hubspot__deals') }}
where not is_archived

select * exclude (is_archived, _last_loaded_at)
from {{ ref('base_hubspot__meetings') }}
where not is_archived

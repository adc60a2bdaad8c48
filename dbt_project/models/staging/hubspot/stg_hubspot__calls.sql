select * exclude (is_archived, _last_loaded_at)
from {{ ref('base_hubspot__calls') }}
where not is_archived

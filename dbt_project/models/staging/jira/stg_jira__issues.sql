select * exclude (_last_loaded_at)
from {{ ref('base_jira__issues') }}

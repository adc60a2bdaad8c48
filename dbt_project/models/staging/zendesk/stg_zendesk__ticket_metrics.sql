select * exclude (_last_loaded_at)
from {{ ref('base_zendesk__ticket_metrics') }}

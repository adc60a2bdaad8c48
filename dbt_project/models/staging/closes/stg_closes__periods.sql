select close_month::date as close_month, closed_at::timestamptz as closed_at, published_run_id
from {{ source('closes', 'periods') }}

select close_month::date as close_month, kpi_key, subject_type, subject_id, value::double as value,
       numerator::double as numerator, denominator::double as denominator, record_count::bigint as record_count
from {{ source('closes', 'kpi_values') }}

select close_month::date as close_month, kpi_key, record_id, label, employee_id, org_unit_id,
       event_date::date as event_date, value::double as value, numerator::double as numerator,
       denominator::double as denominator
from {{ source('closes', 'kpi_records') }}

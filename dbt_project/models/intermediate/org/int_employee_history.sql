-- Job history as validity ranges: the row in force on a day is the latest effective_from <= that day.
-- valid_to is exclusive (the next row's effective_from); null while current.
select
    employee_id,
    org_unit_id,
    manager_id,
    effective_from as valid_from,
    lead(effective_from) over (partition by employee_id order by effective_from) as valid_to
from {{ ref('stg_hr__assignments') }}

select
    kpi_key::varchar as kpi_key,
    name_en::varchar as name_en,
    name_zh::varchar as name_zh,
    kind::varchar as kind,
    domain::varchar as domain,
    unit::varchar as unit,
    direction::varchar as direction,
    description::varchar as description,
    measure::varchar as measure,
    pacing::varchar as pacing
from {{ ref('kpi_catalogue') }}

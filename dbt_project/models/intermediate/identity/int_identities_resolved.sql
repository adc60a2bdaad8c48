-- KPI rule 4: a source user is an employee by the override table first, else by e-mail
-- (trimmed, case-insensitive). Unmatched users keep a null employee_id.
with identities as (
    select *, lower(trim(email)) as email_normalized
    from {{ ref('int_source_identities_unioned') }}
),

overrides as (
    select source, source_user_id, employee_id from {{ ref('identity_overrides') }}
),

employees as (
    select employee_id, email_normalized from {{ ref('stg_hr__employees') }}
)

select
    identities.source,
    identities.source_user_id,
    identities.email,
    coalesce(overrides.employee_id, employees.employee_id) as employee_id,
    case
        when overrides.employee_id is not null then 'override'
        when employees.employee_id is not null then 'email'
    end as match_method
from identities
left join overrides
    on overrides.source = identities.source and overrides.source_user_id = identities.source_user_id
left join employees
    on employees.email_normalized = identities.email_normalized

-- The day the data reaches: the newest activity date, unless the as_of_date setting pins one.
select coalesce(
    try_cast(nullif('{{ var("as_of_date", "") }}', '') as date),
    greatest(
        (select max(occurred_at) from {{ ref('stg_hubspot__calls') }}),
        (select max(updated_at) from {{ ref('stg_jira__issues') }}),
        (select max(updated_at) from {{ ref('stg_zendesk__tickets') }})
    )::date
) as as_of_date

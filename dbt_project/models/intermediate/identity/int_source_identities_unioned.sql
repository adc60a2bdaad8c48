-- Every person a source system knows, with the e-mail it knows them by.
select 'hubspot' as source, owner_id as source_user_id, email from {{ ref('stg_hubspot__owners') }}
union all
select 'jira', account_id, email from {{ ref('stg_jira__users') }}
union all
-- end users (customers) are requesters, not staff: only agents are matched to HR
select 'zendesk', user_id, email from {{ ref('stg_zendesk__users') }} where role in ('agent', 'admin')

"""Across sources: freshness of each API source, and staging volumes against the previous audit run."""

from __future__ import annotations

from expectations.rules import E, Suite, rule

VOLUME_TABLES = ["stg_hubspot__deals", "stg_hubspot__calls", "stg_jira__issues", "stg_zendesk__tickets",
                 "stg_zendesk__satisfaction_ratings", "stg_hr__employees"]


def suites() -> list[Suite]:
    freshness = Suite(
        "source_freshness", "newest record per API source", ["staging", "stg_zendesk__tickets"],
        """with newest as (
               select 'hubspot' as source, max(updated_at) as newest_at from raw_hubspot.calls
               union all select 'jira', max(updated_at) from raw_jira.issues
               union all select 'zendesk', max(updated_at) from raw_zendesk.tickets)
           select source, newest_at,
                  date_diff('minute', newest_at, max(newest_at) over ()) / 1440.0 as days_behind
           from newest""",
        key=["source"],
    )
    freshness.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="days_behind", max_value=2, family="freshness",
             severity="warning", en="No source's newest record is more than 2 days behind the others' (a stalled "
                                    "export).", zh="各数据源最新记录的落后时间不超过2天(导出可能中断)。"),
    ]
    counts = " union all ".join(f"select '{t}' as table_name, count(*) as current_rows from staging.{t}"
                                for t in VOLUME_TABLES)
    volume = Suite(
        "staging_volume", "staging row counts vs the previous audit run", ["staging", "stg_hubspot__deals"],
        f"""with now as ({counts}),
            previous as (
                select table_name, observed_rows as previous_rows from audit.table_counts
                qualify row_number() over (partition by table_name order by audited_at desc) = 1)
            select now.table_name, now.current_rows, coalesce(previous.previous_rows, now.current_rows) as previous_rows,
                   now.current_rows / greatest(coalesce(previous.previous_rows, now.current_rows), 1)::double as ratio
            from now left join previous using (table_name)""",
        key=["table_name"],
    )
    volume.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="ratio", min_value=0.5, family="volume", severity="warning",
             en="No staging table shrank by half or more since the previous audit.",
             zh="与上次稽核相比,暂存表的行数未减少一半以上。"),
    ]
    return [freshness, volume]

"""Schedules: when the pipeline runs itself. Times and time zone are settings (``[schedules]``)."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from config.settings import Settings


def build_schedules(settings: Settings, jobs: dict[str, object]
                    ) -> list[ScheduleDefinition]:
    zone, times = settings.schedule_timezone, settings.schedules
    running = DefaultScheduleStatus.RUNNING  # a data folder served by `northstar ui` refreshes itself

    def schedule(name: str, job: str, cron: str, description: str) -> ScheduleDefinition:
        return ScheduleDefinition(name=name, job=jobs[job], cron_schedule=cron, execution_timezone=zone,
                                  default_status=running, description=description)

    schedules = [
        schedule("daily_refresh", "refresh", times.daily_refresh,
                 "Every source and everything downstream, before office hours."),
        schedule("ticket_desk_hourly", "ticket_desk", times.ticket_desk,
                 "Zendesk and only what depends on it: tickets change by the hour."),
        schedule("freshness_checks", "freshness", times.freshness_checks,
                 "Evaluate every source's freshness check, whether or not a refresh got that far."),
    ]
    schedules.append(schedule("backup_daily", "backup", times.backup,
                              "Copy raw (with its cursors and load log) and the settings; keep the newest N."))
    if "period_close" in jobs:
        schedules.append(schedule("period_close_monthly", "period_close", times.period_close,
                                  "Freeze the KPI values and goal statuses of the month that ended."))
    return schedules

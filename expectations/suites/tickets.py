"""Zendesk: tickets with their metrics, and satisfaction ratings."""

from __future__ import annotations

from expectations.rules import E, Suite, rule


def suites() -> list[Suite]:
    tickets = Suite(
        "zendesk_tickets", "staging.stg_zendesk__tickets", ["staging", "stg_zendesk__tickets"],
        """select tickets.*, metrics.first_reply_minutes, metrics.solved_at
           from staging.stg_zendesk__tickets tickets
           left join staging.stg_zendesk__ticket_metrics metrics using (ticket_id)""",
        key=["ticket_id"],
    )
    tickets.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="ticket_id", family="uniqueness", severity="blocking",
             en="A ticket appears once (latest version).", zh="每张工单只出现一次(最新版本)。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="created_at", family="completeness", severity="blocking",
             en="Every ticket has a creation time.", zh="每张工单都有创建时间。"),
        rule(E.ExpectColumnValuesToBeInSet, column="status", value_set=["new", "open", "pending", "hold", "solved",
                                                                          "closed"],
             family="enumeration", severity="blocking", en="Ticket statuses are Zendesk's.", zh="工单状态为已知取值。"),
        rule(E.ExpectColumnValuesToBeInSet, column="priority", value_set=["low", "normal", "high", "urgent"],
             family="enumeration", severity="warning", en="Priorities have an SLA policy.", zh="优先级都有SLA策略。"),
        rule(E.ExpectColumnValuesToBeBetween, column="first_reply_minutes", min_value=0, family="range",
             severity="blocking", en="First-reply times are not negative.", zh="首次响应时间不为负数。"),
        rule(E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="solved_at", column_B="created_at", or_equal=True,
             ignore_row_if="either_value_is_missing", family="ordering", severity="warning",
             en="A ticket is solved after it was created.", zh="工单解决时间不早于创建时间。"),
    ]
    ratings = Suite(
        "zendesk_satisfaction_ratings", "staging.stg_zendesk__satisfaction_ratings",
        ["staging", "stg_zendesk__satisfaction_ratings"],
        "select * from staging.stg_zendesk__satisfaction_ratings", key=["rating_id"],
    )
    ratings.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="rating_id", family="uniqueness", severity="blocking",
             en="A rating appears once.", zh="每条满意度评价只出现一次。"),
        rule(E.ExpectColumnValuesToBeInSet, column="score", value_set=["good", "bad", "offered", "unoffered"],
             family="enumeration", severity="blocking", en="Scores are good, bad, offered or unoffered.",
             zh="评分取值为good、bad、offered或unoffered。"),
    ]
    return [tickets, ratings]

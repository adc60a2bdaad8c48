"""Jira: issues in staging."""

from __future__ import annotations

from expectations.rules import E, Suite, rule


def suites() -> list[Suite]:
    issues = Suite(
        "jira_issues", "staging.stg_jira__issues", ["staging", "stg_jira__issues"],
        """select issues.*, users.account_id is not null as assignee_is_known,
                  identities.employee_id as assignee_employee_id
           from staging.stg_jira__issues issues
           left join staging.stg_jira__users users on users.account_id = issues.assignee_account_id
           left join (select source_user_id, any_value(employee_id) as employee_id
                      from intermediate.int_identities_resolved where source = 'jira' group by all) identities
             on identities.source_user_id = issues.assignee_account_id
           where issues.assignee_account_id is not null""",
        key=["issue_key"],
    )
    issues.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="issue_id", family="uniqueness", severity="blocking",
             en="An issue appears once (latest version).", zh="每个任务只出现一次(最新版本)。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="created_at", family="completeness", severity="blocking",
             en="Every issue has a creation date.", zh="每个任务都有创建日期。"),
        rule(E.ExpectColumnValuesToBeInSet, column="status_category", value_set=["new", "indeterminate", "done"],
             family="enumeration", severity="blocking", en="Status categories are Jira's three.",
             zh="状态类别为Jira的三种之一。"),
        rule(E.ExpectColumnValuesToBeBetween, column="story_points", min_value=0, max_value=100, family="range",
             severity="warning", en="Story points lie between 0 and 100.", zh="故事点在0到100之间。"),
        rule(E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="resolved_at", column_B="created_at",
             or_equal=True, ignore_row_if="either_value_is_missing", family="ordering", severity="warning",
             en="An issue is resolved after it was created.", zh="任务解决时间不早于创建时间。"),
        rule(E.ExpectColumnValuesToBeInSet, column="assignee_is_known", value_set=[True], family="referential",
             severity="warning", en="Every assignee is a known Jira user.", zh="每个经办人都是已知的Jira用户。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="assignee_employee_id", family="referential",
             severity="warning", mostly=0.9, en="Assignees match people in HR (at least 90 % of issues).",
             zh="经办人能匹配到HR人员(至少90%的任务)。"),
    ]
    return [issues]

"""HubSpot: deals and calls in staging."""

from __future__ import annotations

from expectations.rules import E, Suite, rule

STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
          "contractsent", "closedwon", "closedlost"]


def suites() -> list[Suite]:
    deals = Suite(
        "hubspot_deals", "staging.stg_hubspot__deals", ["staging", "stg_hubspot__deals"],
        """select deals.*, identities.employee_id as owner_employee_id
           from staging.stg_hubspot__deals deals
           left join (select source_user_id, any_value(employee_id) as employee_id
                      from intermediate.int_identities_resolved where source = 'hubspot' group by all) identities
             on identities.source_user_id = deals.owner_id""",
        key=["deal_id"],
    )
    deals.expectations = [
        rule(E.ExpectColumnValuesToNotBeNull, column="deal_id", family="completeness", severity="blocking",
             en="Every deal has an id.", zh="每个商机都有ID。"),
        rule(E.ExpectColumnValuesToBeUnique, column="deal_id", family="uniqueness", severity="blocking",
             en="A deal appears once (latest version).", zh="每个商机只出现一次(最新版本)。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="created_at", family="completeness", severity="blocking",
             en="Every deal has a creation date.", zh="每个商机都有创建日期。"),
        rule(E.ExpectColumnValuesToBeInSet, column="deal_stage", value_set=STAGES, family="enumeration",
             severity="blocking", en="Deal stages are ones the KPI definitions know.", zh="商机阶段为已知取值。"),
        rule(E.ExpectColumnValuesToBeBetween, column="amount", min_value=0, family="range", severity="blocking",
             en="Deal amounts are not negative.", zh="商机金额不为负数。"),
        rule(E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="closed_at", column_B="created_at",
             or_equal=True, ignore_row_if="either_value_is_missing", family="ordering", severity="warning",
             en="A deal is closed on or after the day it was created.", zh="商机关闭时间不早于创建时间。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="owner_employee_id", family="referential", severity="warning",
             en="Every deal's owner matches a person in HR.", zh="每个商机的负责人都能匹配到HR人员。"),
    ]
    calls = Suite(
        "hubspot_calls", "staging.stg_hubspot__calls", ["staging", "stg_hubspot__calls"],
        "select * from staging.stg_hubspot__calls", key=["call_id"],
    )
    calls.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="call_id", family="uniqueness", severity="blocking",
             en="A call appears once.", zh="每个通话记录只出现一次。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="owner_id", family="completeness", severity="blocking",
             en="Every call names the rep who made it.", zh="每个通话都有负责人ID。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="occurred_at", family="completeness", severity="blocking",
             en="Every call has a date.", zh="每个通话都有日期。"),
    ]
    return [deals, calls]

"""HR export: employees, job history, org units, and the export's own volume."""

from __future__ import annotations

import great_expectations as gx

from expectations.rules import Suite, rule

E = gx.expectations


def suites() -> list[Suite]:
    employees = Suite("hr_employees", "staging.stg_hr__employees", ["staging", "stg_hr__employees"],
                      "select * from staging.stg_hr__employees", key=["employee_id"])
    employees.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="employee_id", family="uniqueness", severity="blocking",
             en="An employee appears once.", zh="每位员工只出现一次。"),
        rule(E.ExpectColumnValuesToBeUnique, column="email_normalized", family="uniqueness", severity="blocking",
             en="No two employees share an e-mail (people are matched across systems by e-mail).",
             zh="不同员工的邮箱不重复(跨系统按邮箱匹配人员)。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="hire_date", family="completeness", severity="blocking",
             en="Every employee has a hire date.", zh="每位员工都有入职日期。"),
        rule(E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="termination_date", column_B="hire_date",
             or_equal=True, ignore_row_if="either_value_is_missing", family="ordering", severity="warning",
             en="Nobody leaves before they join.", zh="离职日期不早于入职日期。"),
    ]
    assignments = Suite(
        "hr_assignments", "staging.stg_hr__assignments", ["staging", "stg_hr__assignments"],
        """select a.*, u.org_unit_id is not null as org_unit_exists, e.employee_id is not null as employee_exists
           from staging.stg_hr__assignments a
           left join staging.stg_hr__org_units u on u.org_unit_id = a.org_unit_id
           left join staging.stg_hr__employees e on e.employee_id = a.employee_id""",
        key=["employee_id", "effective_from"],
    )
    assignments.expectations = [
        rule(E.ExpectCompoundColumnsToBeUnique, column_list=["employee_id", "effective_from"], family="uniqueness",
             severity="blocking", en="One job-history row per person and start date.",
             zh="每人每个生效日期只有一条任职记录。"),
        rule(E.ExpectColumnValuesToBeInSet, column="org_unit_exists", value_set=[True], family="referential",
             severity="blocking", en="Every job-history row names an org unit of the org tree.",
             zh="每条任职记录的组织单元都在组织架构中。"),
        rule(E.ExpectColumnValuesToBeInSet, column="employee_exists", value_set=[True], family="referential",
             severity="blocking", en="Every job-history row names an employee of the export.",
             zh="每条任职记录的员工都在员工表中。"),
    ]
    units = Suite(
        "hr_org_units", "staging.stg_hr__org_units", ["staging", "stg_hr__org_units"],
        """select u.*, u.parent_id is null or p.org_unit_id is not null as parent_exists
           from staging.stg_hr__org_units u left join staging.stg_hr__org_units p on p.org_unit_id = u.parent_id""",
        key=["org_unit_id"],
    )
    units.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="org_unit_id", family="uniqueness", severity="blocking",
             en="An org unit appears once.", zh="每个组织单元只出现一次。"),
        rule(E.ExpectColumnValuesToBeInSet, column="unit_type", value_set=["company", "department", "team"],
             family="enumeration", severity="blocking", en="Units are a company, departments and teams.",
             zh="组织单元类型为公司、部门或团队。"),
        rule(E.ExpectColumnValuesToBeInSet, column="parent_exists", value_set=[True], family="referential",
             severity="blocking", en="Every unit's parent exists.", zh="每个组织单元的上级都存在。"),
    ]
    volume = Suite(
        "hr_export_volume", "raw_hr.employees (latest file vs previous)", ["staging", "stg_hr__employees"],
        """with files as (
               select _file, min(_loaded_at) as loaded_at, count(*) as file_rows from raw_hr.employees group by _file),
           ranked as (select *, row_number() over (order by loaded_at desc, _file desc) as n from files)
           select latest._file as latest_file, latest.file_rows as latest_rows,
                  coalesce(previous.file_rows, latest.file_rows) as previous_rows,
                  latest.file_rows / coalesce(previous.file_rows, latest.file_rows)::double as ratio
           from ranked latest left join ranked previous on previous.n = 2
           where latest.n = 1""",
        key=["latest_file"],
    )
    volume.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="ratio", min_value=0.7, family="volume", severity="blocking",
             en="The latest HR export has at least 70 % of the previous export's employees (a truncated export would "
                "make people vanish).", zh="最新HR导出的员工数不少于上一次的70%(防止导出被截断)。"),
    ]
    return [employees, assignments, units, volume]

"""HR export: employees, job history, org units, and the export's own volume."""

from __future__ import annotations

from expectations.rules import E, Suite, rule

# The volume rule compares loads (each drop is one load, whatever its file name), and people in force rather than
# rows. A load that repeats any person's previous row unchanged is a full export: the people in force it lists
# are compared with those in force before it (a truncated export lists fewer). A load of only new or changed
# rows is a delta export (one new hire, a few moves): the people in force after it are compared with before it,
# so only mass terminations trip it. "In force" is taken on the newest hire date known, the export's own clock.
VOLUME_SQL = """
with loads as (
    select _load_id, min(_loaded_at) as loaded_at, min(_file) as file_name from raw_hr.employees group by _load_id),
ranked as (select *, row_number() over (order by loaded_at desc, _load_id desc) as n from loads),
latest as (select * from ranked where n = 1),
reference as (select max(hire_date) as day from raw_hr.employees),
before as (
    select e.* from raw_hr.employees e join ranked r on r._load_id = e._load_id and r.n > 1
    qualify row_number() over (partition by e.employee_id order by e._loaded_at desc, e._file desc, e._row desc) = 1),
listed as (select e.* from raw_hr.employees e join latest on latest._load_id = e._load_id),
after as (select * from listed union all select * from before where employee_id not in (select employee_id from listed)),
repeated as (
    select count(*) as n from listed l join before b on b.employee_id = l.employee_id
        and b.full_name is not distinct from l.full_name and b.email is not distinct from l.email
        and b.title is not distinct from l.title and b.hire_date is not distinct from l.hire_date
        and b.termination_date is not distinct from l.termination_date),
in_force as (
    select src, count(*) filter (where hire_date <= reference.day
                                 and (termination_date is null or termination_date > reference.day)) as people
    from (select 'listed' as src, * from listed union all select 'before', * from before
          union all select 'after', * from after) as rows, reference
    group by src),
figures as (
    select latest.file_name as latest_file,
           case when (select count(*) from before) = 0 then 'first'
                when (select n from repeated) > 0 then 'full' else 'delta' end as load_kind,
           coalesce((select people from in_force where src = 'listed'), 0) as listed_in_force,
           coalesce((select people from in_force where src = 'before'), 0) as before_in_force,
           coalesce((select people from in_force where src = 'after'), 0) as after_in_force
    from latest)
select *,
       case load_kind when 'first' then 1.0
            when 'full' then listed_in_force / greatest(before_in_force, 1)::double
            else after_in_force / greatest(before_in_force, 1)::double end as ratio
from figures
"""


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
        "hr_export_volume", "raw_hr.employees (people in force: latest HR load vs before it)",
        ["staging", "stg_hr__employees"], VOLUME_SQL, key=["latest_file", "load_kind"],
    )
    volume.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="ratio", min_value=0.7, family="volume", severity="blocking",
             en="The latest HR load keeps at least 70 % of the people in force before it: a full export lists them, "
                "a delta export (only new or changed people) may not terminate more than 30 % of them.",
             zh="最新一次HR导入后在职人数不少于导入前的70%:全量导出须列出他们,增量导出(只含新增或变更人员)不得使超过30%的人离职。"),
    ]
    return [employees, assignments, units, volume]

"""Who may see which rows. Enforced in the query layer (``queries.py``), never by hiding widgets.

- employee: themself;
- manager: their reporting subtree (everyone whose chain of managers, as of today, includes them);
- hr: everyone, including calibration and PIP flags;
- executive: aggregates (org units) for everyone, no individual rows, no PIP flags;
- auditor: data quality and aggregates, no individual scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

ROLES = ("employee", "manager", "hr", "executive", "auditor")


class AccessDenied(PermissionError):
    """The signed-in user asked for rows outside their scope."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    employee_id: str | None = None  # employees and managers are people in HR

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles: {', '.join(ROLES)}")
        if self.role in ("employee", "manager") and not self.employee_id:
            raise ValueError(f"a {self.role} account needs an employee_id")

    @property
    def sees_individuals(self) -> bool:
        return self.role in ("employee", "manager", "hr")

    @property
    def sees_pip(self) -> bool:
        return self.role == "hr"

    @property
    def sees_quality(self) -> bool:
        return self.role in ("auditor", "hr", "executive")


def visible_employees(con: duckdb.DuckDBPyConnection, user: User) -> set[str] | None:
    """The employee ids whose individual rows ``user`` may see; ``None`` means everyone (HR)."""
    if user.role == "hr":
        return None
    if user.role == "employee":
        return {user.employee_id}
    if user.role == "manager":
        rows = con.execute("select employee_id from marts.dim_reporting_chain where manager_id = ?",
                           [user.employee_id]).fetchall()
        return {r[0] for r in rows} | {user.employee_id}
    return set()  # executives and auditors: aggregates only


def require_employee(con: duckdb.DuckDBPyConnection, user: User, employee_id: str) -> None:
    scope = visible_employees(con, user)
    if scope is not None and employee_id not in scope:
        raise AccessDenied(f"{user.username} ({user.role}) may not see employee {employee_id}")

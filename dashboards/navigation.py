"""The dashboard pages and the roles that may open each (the query layer enforces the same scopes again)."""

from __future__ import annotations

# page key -> (file, roles that may open it). The query layer enforces the same scopes again.
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "page_goal_map": ("pages/goal_map.py", ("employee", "manager", "hr", "executive", "auditor")),
    "page_team": ("pages/team.py", ("manager", "hr")),
    "page_person": ("pages/person.py", ("employee", "manager", "hr")),
    "page_cross": ("pages/cross_analysis.py", ("manager", "hr", "executive", "auditor")),
    "page_calibration": ("pages/calibration.py", ("hr",)),
    "page_quality": ("pages/data_quality.py", ("hr", "executive", "auditor")),
    "page_pipeline": ("pages/pipeline_status.py", ("employee", "manager", "hr", "executive", "auditor")),
}

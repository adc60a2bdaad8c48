"""The dashboard pages and the roles that may open each (the query layer enforces the same scopes again)."""

from __future__ import annotations

# page key -> (file, roles that may open it). The query layer enforces the same scopes again.
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "page_goal_map": ("views/goal_map.py", ("employee", "manager", "hr", "executive", "auditor")),
    "page_alignment": ("views/alignment.py", ("employee", "manager", "hr", "executive", "auditor")),
    "page_team": ("views/team.py", ("manager", "hr")),
    "page_person": ("views/person.py", ("employee", "manager", "hr")),
    "page_cross": ("views/cross_analysis.py", ("manager", "hr", "executive", "auditor")),
    "page_calibration": ("views/calibration.py", ("hr",)),
    "page_quality": ("views/data_quality.py", ("hr", "executive", "auditor")),
    "page_pipeline": ("views/pipeline_status.py", ("employee", "manager", "hr", "executive", "auditor")),
}

# page key -> the query parameters its URL may carry (a view's state; others are dropped when the page opens)
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "page_goal_map": ("period", "unit"),
    "page_alignment": ("period", "goal"),
    "page_team": ("unit", "period"),
    "page_person": ("person", "period", "goal"),
    "page_cross": ("kpi", "by", "every"),
    "page_calibration": ("period",),
    "page_quality": (),
    "page_pipeline": (),
}

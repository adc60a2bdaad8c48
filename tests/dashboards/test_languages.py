"""Every page, for every role, in Chinese: no English status, enumeration or month name, no raw key, no None/NaN.

Rendered through Streamlit's AppTest on the published small company, so the tables' cells are checked too (in a
browser they are drawn on a canvas; ``test_browser.py`` checks what the browser shows as text).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboards.i18n import LABELS
from dashboards.navigation import PAGES
from dashboards.ui import shown_text
from tests.dashboards.test_pages import ROLES, app_as, open_page, user_for

# English words that must not appear in the Chinese UI: every status, enumeration and outcome the app translates
ENGLISH_WORDS = sorted({LABELS[k][0] for k in (
    "achieved", "on_track", "at_risk", "off_track", "no_data", "objective", "key_result", "succeeded", "failed",
    "blocked", "publish", "stale", "fresh", "never", "running", "schedule", "sensor", "manual", "backfill",
    "blocking", "warning", "employee", "manager", "executive", "auditor")} | {"not ranked", "no file yet"},
    key=len, reverse=True)
ENGLISH = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")(?![A-Za-z])",
                     re.IGNORECASE)
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b|\b\d{4} Q[1-4]\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# columns whose cells are data, shown as typed or as the systems name them: names, job titles, goal titles, record
# labels and details, file names, Jira project keys, the owner; and technical identifiers an auditor or operator
# needs verbatim (the failing table, its suite, the failing records' fields, inbox templates, Dagster job and
# schedule names, error texts)
DATA_COLUMNS = {"姓名", "职位", "目标", "负责人", "记录", "详情", "文件", "最近文件", "项目", "表", "检查套件",
                "不合格记录样本", "数值", "模板", "作业", "触发方式", "错误", "原因", "首要原因", "变化的记录",
                "人员或部门"}


def cell_texts(frame: pd.DataFrame) -> list[tuple[str, object]]:
    """(column, shown value) of every cell: a link cell shows its decoded text after '#', a pill cell its words."""
    out = []
    for column in frame.columns:
        for value in frame[column]:
            if isinstance(value, str) and "?" in value and "#" in value:
                value = shown_text(value)
            if isinstance(value, list | tuple):
                value = " ".join(map(str, value))
            out.append((str(column), value))
    return out


def visible(at) -> list[tuple[str, str]]:
    """(where, text) of everything the page shows as text."""
    items: list[tuple[str, str]] = []
    for kind in ("markdown", "caption", "header", "subheader", "title", "info", "warning", "error", "success"):
        # a markdown link shows its text, not its target (a URL's query holds ids and keys)
        items += [(kind, re.sub(r"\]\([^)]*\)", "]", str(e.value))) for e in getattr(at, kind)]
    items += [("metric", f"{m.label} {m.value}") for m in at.metric]
    for box in at.selectbox:
        items += [("select", box.label)] + [("select option", o) for o in box.options]
    items += [("button", b.label) for b in at.button]
    items += [("expander", e.label) for e in at.expander]
    for frame in (df.value for df in at.dataframe):
        items += [("column", str(c)) for c in frame.columns]
        items += [(f"cell {c}", v) for c, v in cell_texts(frame)]
    return items


def problems(at, username: str = "") -> list[str]:
    found = []
    for where, text in visible(at):
        if where.removeprefix("cell ") in DATA_COLUMNS:
            continue
        if text is None or (isinstance(text, float) and pd.isna(text)):
            found.append(f"{where}: empty cell shown as None/NaN")
            continue
        text = str(text).replace(username, "") if username else str(text)  # the account name is data
        if text in ("None", "nan", "NaN", "NaT") or re.search(r"\bNone\b", text):
            found.append(f"{where}: {text[:80]!r}")
        for pattern in (ENGLISH, MONTHS):
            if match := pattern.search(text):
                found.append(f"{where}: English {match.group(0)!r} in {text[:80]!r}")
        if match := SNAKE.search(text):
            found.append(f"{where}: raw key {match.group(0)!r} in {text[:80]!r}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_in_chinese(home, role):
    _, people, _ = home
    at = app_as(user_for(role, people), lang="zh")
    found = {}
    for key, (page, roles) in PAGES.items():
        if role not in roles:
            continue
        opened = open_page(at, page)
        assert opened.header[0].value == LABELS[key][1]
        if issues := problems(opened, f"demo-{role}"):
            found[page] = issues[:8]
    assert not found, found


def test_the_check_catches_english_and_raw_keys():
    """The sweep is only as good as its patterns: each kind of slip is caught."""
    from types import SimpleNamespace

    frame = pd.DataFrame({"状态": [["on track"]], "指标": ["sales_win_rate"], "截至": ["30 Nov 2026"], "值": [None]})
    nothing: list = []
    line = "[Clara](person?goal=G-sales_x): 赢单金额 :orange-badge[at risk]"
    fake = SimpleNamespace(markdown=[SimpleNamespace(value=line)],
                           dataframe=[SimpleNamespace(value=frame)], caption=nothing, header=nothing,
                           subheader=nothing, title=nothing, info=nothing, warning=nothing, error=nothing,
                           success=nothing, button=nothing, expander=nothing, metric=nothing, selectbox=nothing)
    text = " | ".join(problems(fake))
    assert "'at risk'" in text and "'on track'" in text and "sales_win_rate" in text and "Nov 2026" in text
    assert "None/NaN" in text
    assert "sales_x" not in text, "a link's target is not shown text"

"""Alignment: the goal cascade as a tree, company objective → key results → the department, team and person goals
aligned to them, each with owner, weight, attainment, status and its contribution to the parent. Every goal links
to its story (a person's goal to the person view)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.charts import goal_story
from dashboards.i18n import period_label
from dashboards.ui import (
    each,
    goal_period_select,
    goal_title,
    kpi_options,
    lang,
    link,
    link_column,
    localise,
    md,
    page_header,
    page_view,
    requested,
    scoped,
    table,
    tr,
)

INDENT = "\u2003"  # an em space per level: the tree reads as an outline in any font


def outline(goals: pl.DataFrame) -> pl.DataFrame:
    """The goals in tree order (each goal followed by the goals aligned to it) with their depth. Goals whose parent
    is not visible start their own branch. Display only: which row comes where."""
    ids = set(goals["goal_id"])
    children: dict[str | None, list[str]] = {}
    for goal_id, parent in zip(goals["goal_id"], goals["parent_goal_id"], strict=True):
        children.setdefault(parent if parent in ids else None, []).append(goal_id)
    order: list[tuple[str, int]] = []
    stack = [(goal_id, 0) for goal_id in reversed(children.get(None, []))]
    while stack:
        goal_id, depth = stack.pop()
        order.append((goal_id, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(goal_id, [])))
    ranks = pl.DataFrame({"goal_id": [g for g, _ in order], "depth": [d for _, d in order],
                          "position": list(range(len(order)))}, schema={"goal_id": pl.Utf8, "depth": pl.Int64,
                                                                         "position": pl.Int64})
    return goals.join(ranks, on="goal_id").sort("position")


user = page_header("page_alignment")
period = goal_period_select("alignment_period", quarters_only=True)
page_view("alignment", period=period)
goals = scoped("goal_alignment", period=period)
if goals.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

language = lang()
kpi_names = kpi_options()
tree = outline(goals)
roots = tree.filter(pl.col("depth") == 0)
root_labels = {r["goal_id"]: goal_title(r["title"], r["kpi_key"], kpi_names) for r in roots.iter_rows(named=True)}
root = st.selectbox(tr("objective"), list(root_labels), format_func=root_labels.get, key="alignment_root")
branch_ids: set[str] = {root}
for row in tree.iter_rows(named=True):  # tree order: a parent always comes before the goals aligned to it
    if row["parent_goal_id"] in branch_ids:
        branch_ids.add(row["goal_id"])
branch = tree.filter(pl.col("goal_id").is_in(branch_ids))


def goal_link(row: dict) -> str:
    """A goal opens where its story is: a person's on the person view, an org goal below this tree."""
    text = INDENT * row["depth"] + goal_title(row["title"], row["kpi_key"], kpi_names)
    if row["owner_type"] == "employee":
        return link("person", text, person=row["owner_id"], period=row["period"], goal=row["goal_id"])
    return link("alignment", text, period=period, goal=row["goal_id"])


shown_rows = branch.with_columns(
    each(branch, goal_link, "depth", "title", "kpi_key", "owner_type", "owner_id", "period", "goal_id")
    .alias("goal_link"),
    pl.col("goal_type").replace_strict({k: tr(k) for k in ("objective", "key_result", "kpi")},
                                       default=pl.col("goal_type")).alias("type_label"),
    each(branch, lambda p: period_label(p, language), "period").alias("period_label"))
shown = localise(shown_rows, {"goal_link": "goal_title", "type_label": "goal_type", "owner": "owner",
                              "period_label": "period", "weight": "weight", "attainment": "attainment",
                              "contribution": "contribution", "status": "status"},
                 percent=("attainment", "contribution"), statuses=("status",))
st.caption(tr("alignment_help"))
table(branch.drop("depth", "position"), f"alignment-{period}", shown,
      **{tr("goal_title"): link_column(tr("goal_title"))})

opened = requested("goal")
if opened and opened in set(goals["goal_id"]) and opened not in set(
        goals.filter(pl.col("owner_type") == "employee")["goal_id"]):
    goal = goals.filter(pl.col("goal_id") == opened).row(0, named=True)
    st.subheader(f"{tr('goal_story')} · {md(goal_title(goal['title'], goal['kpi_key'], kpi_names))} · "
                 f"{md(goal['owner'])}")
    history = scoped("goal_history", goal_id=opened)
    goal_story(history, history.row(0, named=True) | goal if history.height else goal)

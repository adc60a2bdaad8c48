"""Goal map: company → department → team → person, coloured by the roll-up mart (fct_goal_rollup): a unit by its own
goals' status, marked when too many of the people beneath it are off track."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from config.settings import load_settings
from dashboards.ui import (
    STATUS_COLOURS,
    goal_period_select,
    goals_shown,
    link,
    page_header,
    page_view,
    plot_text,
    query,
    scoped,
    status_chip,
    table,
    tr,
    url_select,
)


def subtree(nodes: pl.DataFrame, root_id: str) -> pl.DataFrame:
    """The rows of ``nodes`` at or below ``root_id`` (display only: which part of the tree to draw)."""
    children: dict[str, list[str]] = {}
    for node_id, parent_id in zip(nodes["node_id"], nodes["parent_node_id"], strict=True):
        children.setdefault(parent_id, []).append(node_id)
    keep, stack = set(), [root_id]
    while stack:
        node_id = stack.pop()
        keep.add(node_id)
        stack.extend(children.get(node_id, ()))
    return nodes.filter(pl.col("node_id").is_in(keep))


def attention(row: dict) -> str:
    """The roll-up's marker: more than the set share of the people beneath this unit are off track."""
    if not row.get("needs_attention"):
        return ""
    return " · " + tr("off_track_beneath", n=row["people_off_track"], of=row["people_beneath"])


def hover(row: dict) -> str:
    return html.escape(f"{status_chip(row['status'])} · {row['goals']}{attention(row)}")


user = page_header("page_goal_map")
period = goal_period_select("goal_map_period")
nodes = query("goal_map", period=period)
if nodes.is_empty():
    page_view("goal_map", period=period)
    st.info(tr("nothing_here"))
    st.stop()

# a 5,000-person company is one pick away, not one 5,000-slice chart: the map centres on a unit, and draws its
# people only when there are few enough of them to read (and to send to the browser)
org_nodes = nodes.filter(pl.col("node_type") != "person")
focus_labels = dict(zip(org_nodes["node_id"], org_nodes["label"], strict=True))
focus_id = url_select(tr("focus_unit"), list(focus_labels), "goal_map_focus", "unit", next(iter(focus_labels)),
                      focus_labels.get) or next(iter(focus_labels))
page_view("goal_map", period=period, focus=focus_id)
shown = subtree(nodes, focus_id)
people_under = shown.filter(pl.col("node_type") == "person").height
if people_under > load_settings().dashboards.goal_map_max_people:
    shown = shown.filter(pl.col("node_type") != "person")
    st.caption(tr("people_hidden", n=people_under))

ids = set(shown["node_id"])
figure = go.Figure(go.Sunburst(
    ids=shown["node_id"].to_list(),
    labels=plot_text(shown["label"].to_list()),
    parents=[p if p in ids else "" for p in shown["parent_node_id"].to_list()],
    marker={"colors": [STATUS_COLOURS.get(s) for s in shown["status"].to_list()]},
    hovertext=[hover(row) for row in shown.iter_rows(named=True)],
    hoverinfo="label+text", branchvalues="remainder", maxdepth=3))
figure.update_layout(margin={"t": 0, "l": 0, "r": 0, "b": 0}, height=520)
st.plotly_chart(figure, width="stretch")

labels = {row["node_id"]: f"{row['label']} ({status_chip(row['status'])}){attention(row)}"
          for row in shown.iter_rows(named=True)}
node_id = st.selectbox(tr("open_node"), list(labels), format_func=labels.get, key="goal_map_node")
node = shown.filter(pl.col("node_id") == node_id).row(0, named=True)
owner_type = "employee" if node["node_type"] == "person" else "org_unit"
goals = scoped("owner_goals", owner_type=owner_type, owner_id=node_id, period=period)


def open_goal(row: dict, text: str) -> str:
    """A person's goal opens on the person view, an org goal in the alignment tree (each with its story)."""
    if owner_type == "employee":
        return link("person", text, person=node_id, period=row["period"], goal=row["goal_id"])
    return link("alignment", text, period=period, goal=row["goal_id"])


shown_goals, goal_links = goals_shown(goals, node["label"], title_link=open_goal, actual_link=open_goal)
table(goals, f"goals-{node_id}-{period}", shown_goals, **goal_links)
if owner_type == "employee" and st.button(tr("page_person"), key="goal_map_open_person"):
    st.switch_page("views/person.py", query_params={"person": node_id, "period": period})  # the URL opens the view
if owner_type == "org_unit" and node["node_type"] != "company" and user.role in ("manager", "hr") \
        and st.button(tr("page_team"), key="goal_map_open_team"):
    st.switch_page("views/team.py", query_params={"unit": node_id, "period": period})

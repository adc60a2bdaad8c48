"""Goal map: company → department → team → person, coloured by the worst status of each node's goals."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards.ui import (
    STATUS_COLOURS,
    goal_period_select,
    localise,
    page_header,
    page_view,
    query,
    scoped,
    status_chip,
    table,
    tr,
)

user = page_header("page_goal_map")
period = goal_period_select("goal_map_period")
page_view("goal_map", period=period)

nodes = query("goal_map", period=period)
if nodes.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

ids = set(nodes["node_id"])
figure = go.Figure(go.Sunburst(
    ids=nodes["node_id"].to_list(),
    labels=nodes["label"].to_list(),
    parents=[p if p in ids else "" for p in nodes["parent_node_id"].to_list()],
    marker={"colors": [STATUS_COLOURS.get(s) for s in nodes["status"].to_list()]},
    hovertext=[f"{status_chip(s)} · {n}" for s, n in zip(nodes["status"], nodes["goals"], strict=True)],
    hoverinfo="label+text", branchvalues="remainder", maxdepth=3))
figure.update_layout(margin={"t": 0, "l": 0, "r": 0, "b": 0}, height=520)
st.plotly_chart(figure, width="stretch")

labels = {row["node_id"]: f"{row['label']} ({status_chip(row['status'])})" for row in nodes.iter_rows(named=True)}
node_id = st.selectbox(tr("open_node"), list(labels), format_func=labels.get, key="goal_map_node")
node = nodes.filter(nodes["node_id"] == node_id).row(0, named=True)
owner_type = "employee" if node["node_type"] == "person" else "org_unit"
goals = scoped("owner_goals", owner_type=owner_type, owner_id=node_id, period=period)
table(goals, f"goals-{node_id}-{period}", localise(
    goals, {"goal_type": "goal_type", "title": "goal_title", "weight": "weight", "original_target": "original_target",
            "target": "target", "actual": "actual", "attainment": "attainment",
            "expected_attainment": "expected_attainment", "status": "status",
            "forecast_attainment": "forecast_attainment"},
    percent=("attainment", "expected_attainment", "forecast_attainment"),
    numbers=("original_target", "target", "actual"), statuses=("status",)))
if owner_type == "employee" and st.button(tr("page_person"), key="goal_map_open_person"):
    st.session_state["person_id"] = node_id
    st.switch_page("pages/person.py")
if owner_type == "org_unit" and node["node_type"] != "company" and st.session_state["user"].role in ("manager", "hr") \
        and st.button(tr("page_team"), key="goal_map_open_team"):
    st.session_state["unit_id"] = node_id
    st.switch_page("pages/team.py")

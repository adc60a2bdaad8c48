"""Person view: goals with progress, pacing and forecast; KPI trends; drill-through to the records behind a number."""

from __future__ import annotations

from dataclasses import asdict

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from config.settings import load_settings
from dashboards.ui import (
    goal_period_select,
    kpi_options,
    localise,
    page_header,
    page_view,
    query,
    reference,
    scoped,
    table,
    tr,
)

user = page_header("page_person")
people = query("people")
if people.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
names = dict(zip(people["employee_id"], people["full_name"], strict=True))
ids = list(names)
preferred = st.session_state.get("person_id") or user.employee_id
person_id = st.selectbox(tr("person"), ids, format_func=lambda i: f"{names[i]} ({i})",
                         index=ids.index(preferred) if preferred in ids else 0, key="person_select")
st.session_state["person_id"] = person_id
period = goal_period_select("person_period")
page_view("person", person=person_id, period=period)

goals = scoped("person_goals", employee_id=person_id, period=period)
kpi_names = kpi_options()
goals = goals.with_columns(pl.col("kpi_key").replace_strict(kpi_names, default=pl.col("kpi_key")).alias("kpi_name"))
table(goals, f"goals-{person_id}-{period}", localise(
    goals, {"kpi_name": "kpi", "weight": "weight", "original_target": "original_target", "target": "target",
            "revision": "revision", "actual": "actual", "attainment": "attainment",
            "expected_attainment": "expected_attainment", "status": "status", "forecast_value": "forecast_value",
            "forecast_attainment": "forecast_attainment", "as_of_date": "as_of_date"},
    percent=("attainment", "expected_attainment", "forecast_attainment"),
    numbers=("original_target", "target", "actual", "forecast_value"), dates=("as_of_date",), statuses=("status",)))

kpi_keys = [k for k in goals["kpi_key"].unique().sort().to_list() if k]
if not kpi_keys:
    st.stop()
st.subheader(tr("trend"))
kpi_key = st.selectbox(tr("kpi"), kpi_keys, format_func=lambda k: kpi_names.get(k, k), key="person_kpi")
trend = query("kpi_values", kpi_key=kpi_key, subject_type="employee", period_type="month", subject_ids=[person_id])
if not trend.is_empty():
    # plotly, as on the other pages: st.line_chart's Altair spec validation alone cost ~145 ms per render
    figure = go.Figure(go.Scatter(x=trend["period_start"].to_list(), y=trend["value"].to_list(), mode="lines+markers"))
    figure.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=220)
    st.plotly_chart(figure, width="stretch")

st.subheader(tr("records"))
goal = goals.filter(pl.col("kpi_key") == kpi_key).row(0, named=True)
as_of = reference("data_as_of")
end = min(goal["period_end"], as_of) if as_of else goal["period_end"]
page_view("person.records", person=person_id, kpi=kpi_key, start=goal["period_start"], end=end)
records = query("kpi_records", employee_id=person_id, kpi_key=kpi_key, period_start=goal["period_start"],
                period_end=end, links=tuple(sorted(asdict(load_settings().dashboards).items())),
                limit=load_settings().dashboards.max_rows)
shown = localise(records, {"event_date": "event_date", "source": "source", "label": "record",
                           "project_key": "project", "numerator": "numerator", "denominator": "denominator",
                           "value": "value", "link": "link"},
                 dates=("event_date",), numbers=("numerator", "denominator", "value"))
table(records, f"records-{person_id}-{kpi_key}-{period}", shown,
      **{tr("link"): st.column_config.LinkColumn(tr("link"))})

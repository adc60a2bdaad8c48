"""Person view: goals with progress, pacing and forecast; a goal's story over time; the records behind its number.

The URL holds person, period and goal, so a link from the team view (or a bookmark) opens the same view; the
access layer refuses a person outside the user's scope, with the reason.
"""

from __future__ import annotations

from dataclasses import asdict

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from config.settings import load_settings
from dashboards.charts import goal_story
from dashboards.i18n import period_label
from dashboards.ui import (
    each,
    goal_period_select,
    goal_title,
    goals_shown,
    kpi_options,
    lang,
    link,
    localise,
    md,
    page_header,
    page_view,
    period_text,
    query,
    reference,
    requested,
    scoped,
    table,
    tr,
    url_select,
)

user = page_header("page_person")
people = query("people")
if people.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
names = dict(zip(people["employee_id"], people["full_name"], strict=True))
ids = list(names)
preferred = st.session_state.get("person_id") or user.employee_id
person_id = url_select(tr("person"), ids, "person_select", "person", preferred, lambda i: f"{names[i]} ({i})")
period = goal_period_select("person_period")
if person_id is None:  # a link to someone outside this user's scope: the access layer refuses, with the reason
    scoped("person_goals", employee_id=requested("person"), period=period)
    st.info(tr("nothing_here"))  # in scope but unknown (a mistyped id): nothing to show
    st.stop()
st.session_state["person_id"] = person_id
page_view("person", person=person_id, period=period)

goals = scoped("person_goals", employee_id=person_id, period=period)
if goals.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
kpi_names = kpi_options()
language = lang()
shown, links = goals_shown(  # each number links to the records that made it (the drill-through below)
    goals, names[person_id],
    actual_link=lambda row, text: link("person", text, person=person_id, period=period, goal=row["goal_id"]))
table(goals, f"goals-{person_id}-{period}", shown, **links)
goals = goals.with_columns(
    each(goals, lambda r: goal_title(r["title"], r["kpi_key"], kpi_names), "title", "kpi_key").alias("goal_title"),
    each(goals, lambda p: period_label(p, language), "period").alias("period_label"))

# -- one goal's story: actual against the expected pace, the target in force (and the original), the forecast ----
goal_labels = {r["goal_id"]: f"{r['goal_title']} · {r['period_label']}" for r in goals.iter_rows(named=True)}
first_goal = next(iter(goal_labels))
goal_id = url_select(tr("goal"), list(goal_labels), "person_goal", "goal", first_goal, goal_labels.get) or first_goal
goal = goals.filter(pl.col("goal_id") == goal_id).row(0, named=True)
st.subheader(tr("goal_story"))
history = scoped("goal_history", goal_id=goal_id)


goal_story(history, goal)

# -- the records behind the goal's number (drill-through) ---------------------------------------------------------
st.subheader(f"{tr('records')} · {md(goal_labels[goal_id])}")  # the title is text people typed
as_of = reference("data_as_of")
end = min(goal["period_end"], as_of) if as_of else goal["period_end"]
page_view("person.records", person=person_id, kpi=goal["kpi_key"], start=goal["period_start"], end=end)
settings = load_settings().dashboards
records = query("kpi_records", employee_id=person_id, kpi_key=goal["kpi_key"], period_start=goal["period_start"],
                period_end=end, links=tuple(sorted(asdict(settings).items())), limit=settings.max_rows)
columns = {"event_date": "event_date", "source": "source", "label": "record", "detail": "detail",
           "project_key": "project", "numerator": "numerator", "denominator": "denominator", "value": "value"}
if records["link"].is_not_null().any():  # only where the source system's address is set
    columns["link"] = "link"
records = records.with_columns(pl.col("source").replace_strict(
    {k: tr(k) for k in ("hubspot", "jira", "zendesk", "inbox")}, default=pl.col("source")).alias("source"))
shown = localise(records, columns, dates=("event_date",), numbers=("numerator", "denominator", "value"))
table(records, f"records-{person_id}-{goal['kpi_key']}-{period}", shown,
      **{tr("link"): st.column_config.LinkColumn(tr("link"), display_text=tr("open_in_source"))})

# -- the KPI month by month ---------------------------------------------------------------------------------------
st.subheader(tr("trend"))
trend = query("kpi_values", kpi_key=goal["kpi_key"], subject_type="employee", period_type="month",
              subject_ids=[person_id])
if trend.is_empty():
    st.info(tr("nothing_here"))
else:
    # plotly, as on the other pages: st.line_chart's Altair spec validation alone cost ~145 ms per render
    figure = go.Figure(go.Scatter(x=trend["period_start"].to_list(), y=trend["value"].to_list(),
                                  mode="lines+markers", name=kpi_names.get(goal["kpi_key"], goal["kpi_key"])))
    figure.update_xaxes(dtick="M1", tickformat="%Y-%m")
    figure.update_yaxes(rangemode="tozero", tickformat=",.2~f")
    figure.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=220)
    st.plotly_chart(figure, width="stretch")
    st.caption(period_text(period))

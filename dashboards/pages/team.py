"""Team view: a unit's members × their KPI goals, status chips, sparklines, early warnings, ahead and behind."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.i18n import format_percent
from dashboards.ui import (
    goal_period_select,
    lang,
    localise,
    md,
    page_header,
    page_view,
    query,
    scoped,
    status_chip,
    table,
    tr,
)

SPARK_MONTHS = 6

user = page_header("page_team")
units = query("units")
if units.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
unit_names = dict(zip(units["org_unit_id"], units["name"], strict=True))
unit_ids = list(unit_names)
# a manager starts on their own unit; HR on the first team (the whole company is one pick away)
preferred = st.session_state.get("unit_id") or (
    units.filter(units["unit_type"] == "team")["org_unit_id"].first() if user.role == "hr" else None)
unit_id = st.selectbox(tr("unit"), unit_ids, format_func=unit_names.get,
                       index=unit_ids.index(preferred) if preferred in unit_ids else 0, key="team_unit")
st.session_state["unit_id"] = unit_id
period = goal_period_select("team_period", quarters_only=True)
page_view("team", unit=unit_id, period=period)

rollup = scoped("unit_rollup", unit_id=unit_id, period=period)
if rollup:  # the same roll-up the goal map colours by (fct_goal_rollup)
    cols = st.columns(4)
    cols[0].metric(tr("unit_status"), status_chip(rollup["own_status"] or rollup["worst_status_beneath"]))
    cols[1].metric(tr("people_on_track"), f"{rollup['people_on_track']} / {rollup['people_beneath']}")
    cols[2].metric(tr("people_at_risk"), f"{rollup['people_at_risk']} / {rollup['people_beneath']}")
    cols[3].metric(tr("people_off_track"), f"{rollup['people_off_track']} / {rollup['people_beneath']}")
matrix = scoped("team_goal_matrix", unit_id=unit_id, period=period)
scores = scoped("scorecards", period=period, unit_id=unit_id)
if matrix.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

name_col = "name_zh" if lang() == "zh" else "name_en"
chips = matrix.with_columns(
    pl.struct(["status", "attainment"]).map_elements(
        lambda r: f"{status_chip(r['status'])} {format_percent(r['attainment'], lang())}",
        return_dtype=pl.Utf8).alias("cell"))
grid = chips.pivot(on=name_col, index="full_name", values="cell", aggregate_function="first").fill_null("")
st.subheader(tr("members"))
table(matrix, f"team-{unit_id}-{period}", grid.rename({"full_name": tr("full_name")}))

# sparklines: the last months of each member's goal KPIs, as the marts hold them
# sorted lists: they are part of the cache key, and an unordered unique() would miss the cache on every rerun
members = matrix["employee_id"].unique().sort().to_list()
values = query("kpi_values", kpi_key=matrix["kpi_key"].drop_nulls().unique().sort().to_list(),
               subject_type="employee", period_type="month", subject_ids=members)
trends = {(employee_id, kpi_key): group["value"].tail(SPARK_MONTHS).to_list()
          for (employee_id, kpi_key), group in values.sort("period_start").group_by("subject_id", "kpi_key")}
detail = matrix.with_columns(pl.struct(["employee_id", "kpi_key"]).map_elements(
    lambda r: trends.get((r["employee_id"], r["kpi_key"]), []), return_dtype=pl.List(pl.Float64)).alias("trend"))
shown = localise(detail, {"full_name": "full_name", name_col: "kpi", "weight": "weight", "target": "target",
                          "actual": "actual", "attainment": "attainment", "expected_attainment": "expected_attainment",
                          "status": "status", "trend": "trend"},
                 percent=("attainment", "expected_attainment"), numbers=("target", "actual"), statuses=("status",))
st.subheader(tr("trend"))
table(detail.drop("trend"), f"team-detail-{unit_id}-{period}", shown,
      **{tr("trend"): st.column_config.LineChartColumn(tr("trend"))})

st.subheader(tr("warnings"))
risky = matrix.filter(pl.col("status").is_in(["at_risk", "off_track"]))
declines = query("consecutive_declines", employee_ids=members)
# names and goal titles are text people typed: escaped, so they show as written, never as links or markup
lines = [tr("warning_status", name=md(r["full_name"]), goal=md(r[name_col]), status=status_chip(r["status"]))
         for r in risky.iter_rows(named=True)]
lines += [tr("warning_decline", name=md(r["full_name"]), kpi=md(r[name_col]), n=r["declines"])
          for r in declines.iter_rows(named=True)]
st.markdown("\n".join(f"- {line}" for line in lines) if lines else tr("nothing_here"))

if not scores.is_empty():
    ranked = scores.sort("weighted_score", descending=True, nulls_last=True)
    ahead, behind = st.columns(2)
    columns = {"full_name": "full_name", "weighted_score": "score", "grade": "grade"}
    with ahead:
        st.subheader(tr("ahead"))
        top = ranked.head(3)
        table(top, f"ahead-{unit_id}-{period}", localise(top, columns, percent=("weighted_score",)))
    with behind:
        st.subheader(tr("behind"))
        tail = ranked.tail(3).reverse()
        table(tail, f"behind-{unit_id}-{period}", localise(tail, columns, percent=("weighted_score",)))

"""Team view: a unit's members × their KPI goals, status badges, sparklines, explained early warnings, ahead and
behind. Every member's name links to their person view; the URL holds unit and period."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboards.i18n import format_kpi_value, format_percent
from dashboards.ui import (
    badge,
    each,
    goal_period_select,
    kpi_units,
    lang,
    link,
    link_column,
    localise,
    md,
    md_link,
    month_text,
    page_header,
    page_view,
    query,
    requested,
    scoped,
    status_chip,
    status_column,
    table,
    tr,
    url_select,
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
    units.filter(units["unit_type"] == "team")["org_unit_id"].first() if user.role == "hr" else unit_ids[0])
unit_id = url_select(tr("unit"), unit_ids, "team_unit", "unit", preferred, unit_names.get)
period = goal_period_select("team_period", quarters_only=True)
if unit_id is None:  # the URL names a unit outside this user's scope: the access layer says why
    scoped("unit_rollup", unit_id=requested("unit"), period=period)
    st.info(tr("nothing_here"))  # in scope but unknown (a mistyped id): nothing to show
    st.stop()
st.session_state["unit_id"] = unit_id
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

language = lang()
name_col = "name_zh" if language == "zh" else "name_en"
person_links = {r["employee_id"]: link("person", r["full_name"], person=r["employee_id"], period=period)
                for r in matrix.select("employee_id", "full_name").unique().iter_rows(named=True)}
with_links = matrix.with_columns(pl.col("employee_id").replace_strict(person_links).alias("person_link"))

# the grid: one row per member, one column per KPI; each cell "attainment · status", drawn as a coloured pill
status_words = {s: status_chip(s) for s in ("achieved", "on_track", "at_risk", "off_track", "no_data")}
attainment_text = each(with_links, lambda v: format_percent(v, language), "attainment").fill_null("–")
cells = with_links.with_columns(
    (pl.lit(attainment_text) + " · " + pl.col("status").fill_null("no_data").replace_strict(status_words))
    .alias("cell"))
cell_status = dict(zip(cells["cell"], cells["status"], strict=True))
grid = cells.pivot(on=name_col, index="person_link", values="cell", aggregate_function="first")
kpi_columns = [c for c in grid.columns if c != "person_link"]
grid = grid.with_columns(  # a KPI that is not one of this member's goals: an empty cell
    pl.when(pl.col(c).is_not_null()).then(pl.concat_list(pl.col(c))).otherwise(pl.lit([], pl.List(pl.Utf8))).alias(c)
    for c in kpi_columns).rename({"person_link": tr("full_name")})
st.subheader(tr("members"))
table(matrix, f"team-{unit_id}-{period}", grid, **{tr("full_name"): link_column(tr("full_name"))},
      **{c: status_column(c, cell_status) for c in kpi_columns})

# sparklines: the last months of each member's goal KPIs, as the marts hold them
# sorted lists: they are part of the cache key, and an unordered unique() would miss the cache on every rerun
members = matrix["employee_id"].unique().sort().to_list()
values = query("kpi_values", kpi_key=matrix["kpi_key"].drop_nulls().unique().sort().to_list(),
               subject_type="employee", period_type="month", subject_ids=members)
trends = {(employee_id, kpi_key): group["value"].tail(SPARK_MONTHS).to_list()
          for (employee_id, kpi_key), group in values.sort("period_start").group_by("subject_id", "kpi_key")}
units = kpi_units()
detail = with_links.with_columns(
    each(with_links, lambda r: trends.get((r["employee_id"], r["kpi_key"]), []), "employee_id", "kpi_key",
         dtype=pl.List(pl.Float64)).alias("trend"),
    # each value links to the records behind it: the person view on that goal
    each(with_links, lambda r: link("person", format_kpi_value(r["actual"], units.get(r["kpi_key"]), language),
                                    person=r["employee_id"], period=period, goal=r["goal_id"]),
         "employee_id", "goal_id", "kpi_key", "actual").alias("actual_link"),
    each(with_links, lambda r: format_kpi_value(r["target"], units.get(r["kpi_key"]), language),
         "kpi_key", "target").alias("target_text"))
shown = localise(detail, {"person_link": "full_name", name_col: "kpi", "weight": "weight", "target_text": "target",
                          "actual_link": "actual", "attainment": "attainment",
                          "expected_attainment": "expected_attainment", "status": "status", "trend": "trend"},
                 percent=("attainment", "expected_attainment"), statuses=("status",))
st.subheader(tr("trend"))
table(detail.drop("trend", "person_link", "actual_link", "target_text"), f"team-detail-{unit_id}-{period}", shown,
      **{tr("trend"): st.column_config.LineChartColumn(tr("trend")), tr("full_name"): link_column(tr("full_name")),
         tr("actual"): link_column(tr("actual"))})

st.subheader(tr("warnings"))
risky = matrix.filter(pl.col("status").is_in(["at_risk", "off_track"]))
declines = query("consecutive_declines", employee_ids=members)


def person(row: dict) -> str:
    """The member's name as a link to their person view (names are text people typed: escaped)."""
    return md_link("person", row["full_name"], person=row["employee_id"], period=period)


def since(latest: date, months: int) -> str:
    """The month before the first of ``months`` falls that end in ``latest``: "since August"."""
    index = latest.year * 12 + latest.month - 1 - months
    return month_text(date(index // 12, index % 12 + 1, 1))


# each warning says why: how far the goal is against where it should be by today, or how long a KPI has fallen;
# the name opens the person view, the goal opens it on that goal's story and records
lines = [tr("warning_status", name=person(r), status=badge(r["status"]),
            goal=md_link("person", r[name_col], person=r["employee_id"], period=period, goal=r["goal_id"]),
            attainment=format_percent(r["attainment"], language),
            expected=format_percent(r["expected_attainment"], language)) for r in risky.iter_rows(named=True)]
lines += [tr("warning_decline", name=person(r), kpi=md(r[name_col]), n=r["declines"],
             since=since(r["latest_month"], r["declines"])) for r in declines.iter_rows(named=True)]
st.markdown("\n".join(f"- {line}" for line in lines) if lines else tr("nothing_here"))

if not scores.is_empty():
    ranked = scores.sort("weighted_score", descending=True, nulls_last=True)
    ranked = ranked.with_columns(each(ranked, lambda r: link("person", r["full_name"], person=r["employee_id"],
                                                             period=period), "employee_id", "full_name")
                                 .alias("person_link"))
    ahead, behind = st.columns(2)
    columns = {"person_link": "full_name", "weighted_score": "score", "grade": "grade"}
    name_link = {tr("full_name"): link_column(tr("full_name"))}
    with ahead:
        st.subheader(tr("ahead"))
        top = ranked.head(3)
        table(top.drop("person_link"), f"ahead-{unit_id}-{period}",
              localise(top, columns, percent=("weighted_score",)), **name_link)
    with behind:
        st.subheader(tr("behind"))
        tail = ranked.tail(3).reverse()
        table(tail.drop("person_link"), f"behind-{unit_id}-{period}",
              localise(tail, columns, percent=("weighted_score",)), **name_link)

"""Cross-analysis: one KPI by department, title, project or period, with distribution and comparison charts."""

from __future__ import annotations

from datetime import date

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.i18n import format_month, period_label, t
from dashboards.ui import (
    each,
    kpi_options,
    lang,
    localise,
    page_header,
    page_view,
    plot_frame,
    reference,
    scoped,
    table,
    tr,
    url_select,
)

user = page_header("page_cross")
language = lang()
kpi_names = kpi_options()
# opens on the role's own question: a manager's unit KPI across their units, everyone else the company's first
# key result across departments, this quarter
default_kpi = scoped("default_cross_kpi")
kpi_key = url_select(tr("kpi"), list(kpi_names), "cross_kpi", "kpi", default_kpi, kpi_names.get) or default_kpi
dimensions = ["department", "period"] + (["title"] if user.sees_individuals else []) \
    + (["project"] if user.role in ("hr", "executive", "auditor") else [])
dimension = url_select(tr("dimension"), dimensions, "cross_dimension", "by", "department",
                       lambda d: t(d, language)) or "department"
period_types = ["quarter", "month", "year"]
period_type = url_select(tr("period_type"), period_types, "cross_period_type", "every", "quarter",
                         lambda p: t(p, language)) or "quarter"
starts = reference("kpi_period_starts", kpi_key, period_type)
period_start = None


def start_label(start: date) -> str:
    """A period's first day as the period people name: "2026 Q4", "Oct 2026", "2026"."""
    if period_type == "quarter":
        return period_label(f"{start.year}-Q{(start.month - 1) // 3 + 1}", language)
    if period_type == "month":
        return format_month(start, language)
    return period_label(str(start.year), language)


if dimension != "period":
    if not starts:
        st.info(tr("nothing_here"))
        st.stop()
    period_start = st.selectbox(tr("period"), starts, key="cross_period", format_func=start_label)
page_view("cross_analysis", kpi=kpi_key, dimension=dimension, period_type=period_type, period_start=period_start)

frame = scoped("cross_analysis", kpi_key=kpi_key, dimension=dimension, period_type=period_type,
               period_start=period_start)
if frame.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
if dimension == "period":  # each period as people name it
    frame = frame.with_columns(each(frame, lambda v: start_label(date.fromisoformat(v)), "group_label"))

label = tr(dimension)
if dimension == "title":
    # people's own values (from the mart) per title: a distribution, not a recomputed KPI
    st.subheader(tr("distribution"))
    st.plotly_chart(px.box(plot_frame(frame, "group_label"), x="group_label", y="value", points="outliers",
                           labels={"group_label": label, "value": kpi_names[kpi_key]}), width="stretch")
    summary = frame.group_by("group_label").agg(pl.col("value").median().alias("median"),
                                                pl.len().alias("people")).sort("median", descending=True)
    st.subheader(tr("comparison"))
    st.caption(tr("median_of_people"))
    st.plotly_chart(px.bar(plot_frame(summary, "group_label"), x="group_label", y="median",
                           labels={"group_label": label, "median": tr("median_of_people")}), width="stretch")
    table(frame, f"cross-{kpi_key}-{dimension}", localise(
        frame, {"group_label": dimension, "full_name": "full_name", "value": "value", "record_count": "records"},
        numbers=("value",)))
else:
    st.subheader(tr("comparison"))
    chart = px.line if dimension == "period" else px.bar
    st.plotly_chart(chart(plot_frame(frame, "group_label"), x="group_label", y="value",
                          labels={"group_label": label, "value": kpi_names[kpi_key]}), width="stretch")
    st.subheader(tr("distribution"))
    histogram = px.histogram(frame.to_pandas(), x="value", nbins=20, labels={"value": kpi_names[kpi_key]})
    histogram.update_yaxes(title_text=tr("units_counted"))
    st.plotly_chart(histogram, width="stretch")
    table(frame, f"cross-{kpi_key}-{dimension}", localise(
        frame, {"group_label": dimension, "value": "value", "record_count": "records"}, numbers=("value",)))

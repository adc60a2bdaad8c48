"""Cross-analysis: one KPI by department, title, project or period, with distribution and comparison charts."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.ui import (
    kpi_options,
    localise,
    page_header,
    page_view,
    plot_frame,
    reference,
    scoped,
    table,
    tr,
)

user = page_header("page_cross")
kpi_names = kpi_options()
kpi_key = st.selectbox(tr("kpi"), list(kpi_names), format_func=kpi_names.get, key="cross_kpi")
dimensions = ["department", "period"] + (["title"] if user.sees_individuals else []) \
    + (["project"] if user.role in ("hr", "executive", "auditor") else [])
dimension = st.selectbox(tr("dimension"), dimensions, format_func=tr, key="cross_dimension")
period_type = st.selectbox(tr("period_type"), ["quarter", "month", "year"], format_func=tr, key="cross_period_type")
starts = reference("kpi_period_starts", kpi_key, period_type)
period_start = None
if dimension != "period":
    if not starts:
        st.info(tr("nothing_here"))
        st.stop()
    period_start = st.selectbox(tr("period"), starts, key="cross_period")
page_view("cross_analysis", kpi=kpi_key, dimension=dimension, period_type=period_type, period_start=period_start)

frame = scoped("cross_analysis", kpi_key=kpi_key, dimension=dimension, period_type=period_type,
               period_start=period_start)
if frame.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

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
    st.plotly_chart(px.histogram(frame.to_pandas(), x="value", nbins=20, labels={"value": kpi_names[kpi_key]}),
                    width="stretch")
    table(frame, f"cross-{kpi_key}-{dimension}", localise(
        frame, {"group_label": dimension, "value": "value", "record_count": "records"}, numbers=("value",)))

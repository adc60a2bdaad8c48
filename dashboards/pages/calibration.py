"""Calibration (HR): score distribution per department, the forced-distribution proposal, consecutive-low and PIP."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.ui import localise, page_header, page_view, plot_frame, reference, scoped, table, tr

user = page_header("page_calibration")
periods = reference("score_periods")
if not periods:
    st.info(tr("nothing_here"))
    st.stop()
period = st.selectbox(tr("period"), periods, index=len(periods) - 1, key="calibration_period")
page_view("calibration", period=period)
scores = scoped("calibration", period=period)
if scores.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

st.subheader(tr("distribution"))
st.plotly_chart(px.box(plot_frame(scores, "department"), x="department", y="weighted_score", points="outliers",
                       labels={"department": tr("department"), "weighted_score": tr("score")}),
                width="stretch")

st.subheader(tr("grade_counts"))
proposal = (scores.with_columns(pl.col("grade").fill_null(tr("not_ranked")))
            .group_by("department", "grade").agg(pl.len().alias("people")).sort("department", "grade"))
grid = proposal.pivot(on="grade", index="department", values="people").fill_null(0)
table(proposal, f"grades-{period}", grid.rename({"department": tr("department")}))

st.subheader(f"{tr('consecutive_low')} · {tr('pip_candidate')}")
flagged = scores.filter((pl.col("consecutive_low_periods") >= 1) | pl.col("pip_candidate"))
table(flagged.sort("pip_candidate", "consecutive_low_periods", descending=True), f"pip-{period}", localise(
    flagged.sort("pip_candidate", "consecutive_low_periods", descending=True),
    {"full_name": "full_name", "department": "department", "title": "title", "weighted_score": "score",
     "grade": "grade", "consecutive_low_periods": "consecutive_low", "pip_candidate": "pip_candidate"},
    percent=("weighted_score",)))

st.subheader(tr("score"))
table(scores, f"scores-{period}", localise(
    scores, {"full_name": "full_name", "department": "department", "title": "title", "weighted_score": "score",
             "rank_in_unit": "rank", "unit_size": "unit_size", "grade": "grade"}, percent=("weighted_score",)))

"""Calibration (HR): score distribution per department, the forced-distribution proposal, consecutive-low and PIP."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.i18n import period_label, t
from dashboards.ui import (
    each,
    lang,
    link,
    link_column,
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

user = page_header("page_calibration")
periods = reference("score_periods")
if not periods:
    st.info(tr("nothing_here"))
    st.stop()
language = lang()
period = url_select(tr("period"), periods, "calibration_period", "period", periods[-1],
                    lambda p: period_label(p, language)) or periods[-1]
page_view("calibration", period=period)
scores = scoped("calibration", period=period)
if scores.is_empty():
    st.info(tr("nothing_here"))
    st.stop()
# names people typed can repeat: each carries its employee id; the name links to the person view
scores = scores.with_columns(
    each(scores, lambda r: link("person", f"{r['full_name']} ({r['employee_id']})", person=r["employee_id"],
                                period=period), "employee_id", "full_name").alias("person_link"),
    pl.col("grade").fill_null(tr("not_ranked")).alias("grade_text"),
    pl.col("pip_candidate").replace_strict({True: tr("yes"), False: tr("no")}, return_dtype=pl.Utf8)
    .alias("pip_text"),
    pl.when(pl.col("review_score").is_not_null())
    .then(pl.col("review_score").round(1).cast(pl.Utf8) + " (" + pl.col("review_cycle") + ")")
    .alias("review_text"),
    each(scores, lambda m: t("months_n", language, n=m), "tenure_months").alias("tenure_text"))
name_link = {tr("full_name"): link_column(tr("full_name"))}

st.subheader(tr("distribution"))
distribution = px.box(plot_frame(scores, "department"), x="department", y="weighted_score", points="outliers",
                      labels={"department": tr("department"), "weighted_score": tr("score")})
distribution.update_yaxes(tickformat=".0%")  # scores are attainment-weighted: 100 % is on target
st.plotly_chart(distribution, width="stretch")

st.subheader(tr("grade_counts"))
proposal = (scores.with_columns(pl.col("grade").fill_null(tr("not_ranked")))
            .group_by("department", "grade").agg(pl.len().alias("people")).sort("department", "grade"))
grid = proposal.pivot(on="grade", index="department", values="people").fill_null(0)
table(proposal, f"grades-{period}", grid.rename({"department": tr("department")}))

st.subheader(f"{tr('consecutive_low')} · {tr('pip_candidate')}")
flagged = scores.filter((pl.col("consecutive_low_periods") >= 1) | pl.col("pip_candidate"))
flagged = flagged.sort("pip_candidate", "consecutive_low_periods", descending=True)
table(flagged.drop("person_link", "grade_text", "pip_text", "review_text", "tenure_text"), f"pip-{period}", localise(
    flagged, {"person_link": "full_name", "department": "department", "title": "title", "weighted_score": "score",
              "review_text": "review_score", "tenure_text": "tenure", "grade_text": "grade",
              "consecutive_low_periods": "consecutive_low", "pip_text": "pip_candidate"},
    percent=("weighted_score",)), **name_link)

st.subheader(tr("score"))
table(scores.drop("person_link", "grade_text", "pip_text", "review_text", "tenure_text"), f"scores-{period}",
      localise(scores, {"person_link": "full_name", "department": "department", "title": "title",
                        "weighted_score": "score", "review_text": "review_score", "tenure_text": "tenure",
                        "rank_in_unit": "rank", "unit_size": "unit_size", "grade_text": "grade"},
               percent=("weighted_score",)), **name_link)

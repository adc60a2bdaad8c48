"""Data quality (auditors): the latest audit run, failures by source with samples, each check's history,
the KPIs the failing tables feed, and the way to the Data Docs and the auditor's report."""

from __future__ import annotations

from pathlib import Path

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import serving
from dashboards.i18n import format_month, word
from dashboards.ui import each, lang, localise, page_header, page_view, query, scoped, table, tr, when, worded

user = page_header("page_quality")
page_view("data_quality")
runs = scoped("audit_runs")
if runs.is_empty():
    st.info(tr("nothing_here"))
    st.stop()

language = lang()
latest = runs.row(0, named=True)
st.subheader(tr("latest_run"))
cols = st.columns(4)
cols[0].metric(tr("decision"), word(latest["decision"], language))
st.caption(f"{tr('audited_at')}: {when(latest['audited_at'])}")
cols[1].metric(tr("checks"), latest["checks"])
cols[2].metric(tr("failed_blocking"), latest["failed_blocking"])
cols[3].metric(tr("failed_warning"), latest["failed_warning"])
table(runs, "audit-runs", localise(worded(runs, "audited_at", "decision"),
                                   {"audited_at": "audited_at", "decision": "decision", "checks": "checks",
                                    "failed_blocking": "failed_blocking", "failed_warning": "failed_warning"}))

description = "description_zh" if lang() == "zh" else "description_en"
st.subheader(tr("failures_by_source"))
failures = query("audit_results", run_id=latest["run_id"])
for area, group in failures.group_by("area_title", maintain_order=True):
    with st.expander(f"{word(area[0], language)} · {group.height}", expanded=True):
        table(group, f"failures-{area[0]}", localise(
            worded(group, "severity"), {"severity": "severity", "table_name": "table_name", description: "description",
                    "unexpected_count": "unexpected_count", "observed_value": "value", "sample": "sample"}))
if failures.is_empty():
    st.success(tr("nothing_here"))

st.subheader(tr("affected_kpis"))
affected = query("affected_kpis", run_id=latest["run_id"])
name_col = "name_zh" if lang() == "zh" else "name_en"
table(affected, "affected-kpis", localise(worded(affected, "blocking"), {name_col: "kpi", "failing_suites": "suite",
                                                                      "blocking": "blocking"}))

st.subheader(tr("restatements"))
restated = query("restatements")
if restated.is_empty():
    st.success(tr("no_restatements"))
else:
    st.warning(tr("restatements_found", n=restated.height))
    table(restated, "restatements", localise(
        restated.with_columns(each(restated, lambda m: format_month(m, language), "close_month")),
        {"close_month": "close_month", name_col: "kpi", "subject": "subject", "closed_value": "closed_value",
                   "current_value": "current_value", "difference": "difference",
                   "changed_records": "changed_records", "changed_record_labels": "changed_record_labels"},
        numbers=("closed_value", "current_value", "difference")))

st.subheader(tr("check_history"))
checks = query("checks")
# each expectation by what it says (the suite and table are in the Data Docs and the history below)
labels = {i: f"{word(r['area_title'], language)} · {r[description]}"
          for i, r in enumerate(checks.iter_rows(named=True))}
choice = st.selectbox(tr("check"), list(labels), format_func=labels.get, key="quality_check")
chosen = checks.row(choice, named=True)
history = query("check_history", suite=chosen["suite"], expectation=chosen["expectation"],
                column_name=chosen["column_name"])
if not history.is_empty():
    points = worded(history.with_columns(pl.col("unexpected_count").fill_null(0)), "success")
    chart = px.scatter(points.to_pandas(), x="audited_at", y="unexpected_count", color="success",
                       labels={"audited_at": tr("audited_at"), "unexpected_count": tr("unexpected_count"),
                               "success": tr("success")})
    chart.update_xaxes(tickformat="%Y-%m-%d %H:%M")  # numeric: plotly writes month names in English
    st.plotly_chart(chart, width="stretch")
table(history, "check-history", localise(worded(history, "audited_at", "success"),
                                         {"audited_at": "audited_at", "success": "success",
                                          "observed_value": "value", "unexpected_count": "unexpected_count"}))

attempt = serving.status().get("last_attempt") or {}
if user.role not in ("hr", "auditor"):  # the report and Data Docs quote failing records: not for aggregate-only roles
    st.stop()
st.subheader(tr("data_docs"))
# offered as downloads through the app (each file stands alone, no network needed), never as server paths
downloads = (("data_docs_run", "data_docs", "text/html"), ("report_html", "auditor_report", "text/html"),
             ("report_pdf", "auditor_report", "application/pdf"))
offered = 0
for key, label, mime in downloads:
    path = Path(attempt[key]) if attempt.get(key) else None
    if path and path.exists():
        offered += 1
        st.download_button(f"{tr(label)} ({path.suffix[1:].upper()})", path.read_bytes(), path.name, mime,
                           key=f"download-{key}")
if not offered:
    st.info(tr("nothing_here"))

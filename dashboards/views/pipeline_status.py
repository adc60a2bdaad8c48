"""Pipeline status: the last attempt, recent runs, freshness per source, last load per source object, inbox files."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import serving
from dashboards.i18n import word
from dashboards.ui import lang, localise, md, page_header, page_view, query, table, tr, when, worded

user = page_header("page_pipeline")
page_view("pipeline_status")

attempt = serving.status().get("last_attempt") or {}
if attempt:
    decision = attempt.get("decision", "")
    attempted = attempt.get("audited_at") or attempt.get("attempted_at")
    st.markdown(f"**{tr('last_attempt')}**: {when(attempted)} · {tr(decision) if decision else '–'}")
    for failure in attempt.get("blocking_failures") or []:
        st.markdown(f"- :red-badge[{tr('blocking')}] {md(failure)}")

st.subheader(tr("recent_runs"))
runs = serving.runs()
if not runs:
    st.info(tr("no_runs_yet"))
else:
    def started_by(trigger: str) -> str:  # "schedule daily_refresh" -> the kind in the user's language, the name
        kind, _, name = (trigger or "").partition(" ")
        return f"{tr(kind)} {name}".strip() if kind in ("schedule", "sensor", "manual", "backfill") else trigger

    history = pl.DataFrame([{
        "started_at": when(r.get("started_at")), "trigger": started_by(r.get("trigger", "")), "job": r.get("job"),
        "outcome": tr(r.get("outcome", "")) if r.get("outcome") else "", "seconds": r.get("seconds"),
        "steps": " · ".join(f"{step} {secs:g}" for step, secs in (r.get("step_seconds") or {}).items()),
        "rows_landed": r.get("rows_landed"), "first_cause": r.get("first_cause") or ""} for r in runs],
        schema={"started_at": pl.Utf8, "trigger": pl.Utf8, "job": pl.Utf8, "outcome": pl.Utf8, "seconds": pl.Float64,
                "steps": pl.Utf8, "rows_landed": pl.Int64, "first_cause": pl.Utf8})
    table(history, "pipeline-runs", localise(history, {c: c for c in history.columns},
                                             numbers=("seconds", "rows_landed")))

st.subheader(tr("source_freshness"))
fresh = query("source_freshness")
shown = fresh.with_columns(pl.when(pl.col("fresh")).then(pl.lit(tr("fresh"))).otherwise(pl.lit(tr("stale")))
                           .alias("fresh"))
table(fresh, "source-freshness", localise(worded(shown, "source", "object", "last_load"),
                                          {"source": "source", "object": "object", "last_load": "last_load",
                                           "lag_hours": "lag_hours", "allowed_lag": "allowed_lag", "fresh": "status"},
                                          numbers=("lag_hours", "allowed_lag")))
for row in fresh.filter(~pl.col("fresh")).iter_rows(named=True):
    when_loaded = when(row["last_load"]) if row["last_load"] else tr("never")
    st.warning(md(f"{tr(row['source'])} · {word(row['object'], lang())}: {tr('stale')} · {when_loaded} · "
                  f"{tr('allowed_lag')} {row['allowed_lag']:g}"))

st.subheader(tr("api_loads"))
loads = query("pipeline_loads")
table(loads, "pipeline-loads", localise(
    worded(loads, "source", "object", "last_load", "status"),
    {"source": "source", "object": "object", "last_load": "last_load", "status": "status",
     "rows_landed": "rows_landed", "calls": "api_calls", "hours_since": "freshness", "error": "error"}))
failed = loads.filter(loads["status"] != "succeeded")
for row in failed.iter_rows(named=True):
    st.error(md(f"{tr(row['source'])} · {word(row['object'], lang())}: {row['error']}"))

st.subheader(tr("inbox_sources"))
templates = query("inbox_templates")
shown = localise(worded(templates, "loaded_at").with_columns(pl.col("last_file").fill_null(tr("no_file_yet"))),
                 {"template": "template", "tables": "table_name", "last_file": "last_file", "loaded_at": "last_load",
                  "files": "files_loaded"})
table(templates, "inbox-templates", shown)

st.subheader(tr("inbox_files"))
files = query("inbox_files")
table(files, "inbox-files", localise(worded(files, "loaded_at", "status"),
                                    {"file_name": "file_name", "loaded_at": "last_load", "status": "status",
                                     "row_count": "rows_landed", "reason": "reason"}))

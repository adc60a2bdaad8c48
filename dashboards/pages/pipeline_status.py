"""Pipeline status: last load per source object, rows landed, hours since, failures; inbox files; last attempt."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import serving
from dashboards.ui import localise, md, page_header, page_view, query, table, tr, when

user = page_header("page_pipeline")
page_view("pipeline_status")

attempt = serving.status().get("last_attempt") or {}
if attempt:
    decision = attempt.get("decision", "")
    attempted = attempt.get("audited_at") or attempt.get("attempted_at")
    st.markdown(f"**{tr('last_attempt')}**: {when(attempted)} · {tr(decision) if decision else '–'}")
    for failure in attempt.get("blocking_failures") or []:
        st.markdown(f"- 🔴 {md(failure)}")

st.subheader(tr("api_loads"))
loads = query("pipeline_loads")
table(loads, "pipeline-loads", localise(
    loads, {"source": "source", "object": "object", "last_load": "last_load", "status": "status",
            "rows_landed": "rows_landed", "calls": "calls", "hours_since": "freshness", "error": "error"},
    dates=()))
failed = loads.filter(loads["status"] != "succeeded")
for row in failed.iter_rows(named=True):
    st.error(md(f"{row['source']}.{row['object']}: {row['error']}"))

st.subheader(tr("inbox_sources"))
templates = query("inbox_templates")
shown = localise(templates.with_columns(pl.col("last_file").fill_null(tr("no_file_yet"))),
                 {"template": "template", "tables": "table_name", "last_file": "last_file", "loaded_at": "last_load",
                  "files": "files_loaded"})
table(templates, "inbox-templates", shown)

st.subheader(tr("inbox_files"))
files = query("inbox_files")
table(files, "inbox-files", localise(files, {"file_name": "file_name", "loaded_at": "last_load", "status": "status",
                                             "row_count": "rows_landed", "reason": "reason"}))

"""Pipeline status: last load per source object, rows landed, hours since, failures; inbox files; last attempt."""

from __future__ import annotations

import streamlit as st

from dashboards import serving
from dashboards.ui import localise, page_header, page_view, query, table, tr, when

user = page_header("page_pipeline")
page_view("pipeline_status")

attempt = serving.status().get("last_attempt") or {}
if attempt:
    decision = attempt.get("decision", "")
    st.markdown(f"**{tr('last_attempt')}**: {when(attempt.get('audited_at'))} · {tr(decision) if decision else '–'}")
    for failure in attempt.get("blocking_failures") or []:
        st.markdown(f"- 🔴 {failure}")

st.subheader(tr("api_loads"))
loads = query("pipeline_loads")
table(loads, "pipeline-loads", localise(
    loads, {"source": "source", "object": "object", "last_load": "last_load", "status": "status",
            "rows_landed": "rows_landed", "calls": "calls", "hours_since": "freshness", "error": "error"},
    dates=()))
failed = loads.filter(loads["status"] != "succeeded")
for row in failed.iter_rows(named=True):
    st.error(f"{row['source']}.{row['object']}: {row['error']}")

st.subheader(tr("inbox_files"))
files = query("inbox_files")
table(files, "inbox-files", localise(files, {"file_name": "file_name", "loaded_at": "last_load", "status": "status",
                                             "row_count": "rows_landed", "reason": "reason"}))

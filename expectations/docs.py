"""Data Docs that open anywhere: every audit run's validations as self-contained HTML (styles inline, no scripts,
no asset from the network), written beside Great Expectations' stored validations.

GX's own Data Docs site loads its CSS and JavaScript from public CDNs, so offline (and on these machines) it opens
unstyled with an empty validation list. This renders the same results from ``audit.runs`` and
``audit.expectation_results``: ``index.html`` lists the runs, ``runs/<run_id>.html`` holds one run's expectations
by suite (each page stands alone, so the dashboards offer it as a download). Failing-record samples follow the
auditor's rule: suites over personal data are counted, not quoted.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

RUNS_LISTED = 100
STYLE = """body{font-family:"Noto Sans","WenQuanYi Micro Hei",sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top;font-size:90%}th{background:#f3f3f3}.pass{color:#2e7d32}.fail-blocking{color:#c62828;
font-weight:bold}.fail-warning{color:#ef6c00;font-weight:bold}code{font-size:85%;word-break:break-all}
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;color:#fff}.b-pass{background:#2e7d32}
.b-blocking{background:#c62828}.b-warning{background:#ef6c00}"""
PERSONAL_SAMPLE = "(personal data: counted here, shown to HR on the dashboards' data-quality page)"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def site_index(docs_root: Path) -> Path:
    return docs_root / "data_docs" / "index.html"


def run_page(docs_root: Path, run_id: str) -> Path:
    return docs_root / "data_docs" / "runs" / f"{run_id}.html"


def _verdict(success: bool, severity: str) -> str:
    if success:
        return '<span class="badge b-pass">passed 通过</span>'
    label = "blocking 阻断" if severity == "blocking" else "warning 警告"
    return f'<span class="badge b-{_esc(severity)}">failed · {label}</span>'


def write_run_page(con: duckdb.DuckDBPyConnection, docs_root: Path, run_id: str) -> Path:
    run = con.execute("""select audited_at, decision, checks, failed_blocking, failed_warning from audit.runs
                         where run_id = ?""", [run_id]).fetchall()
    results = con.execute(
        """select r.suite, r.table_name, r.expectation, r.column_name, r.family, r.severity, r.success,
                  r.observed_value, r.element_count, r.unexpected_count, r.sample, r.description_en,
                  r.description_zh, r.error, coalesce(f.personal_data, true) as personal
           from audit.expectation_results r left join audit.suite_feeds f using (suite)
           where r.run_id = ? order by r.success, r.severity, r.suite, r.expectation, r.column_name""",
        [run_id]).fetchall()
    audited_at, decision, checks, blocking, warning = run[0] if run else (None, "–", len(results), 0, 0)
    parts = [f"<h1>Validations 校验结果 · {_esc(run_id)}</h1>",
             f"<p>{_esc(audited_at)} · {checks} expectations · {blocking} blocking and {warning} warning failures · "
             f"decision <b>{_esc(decision)}</b> · <a href=\"../index.html\">all runs</a></p>",
             "<table><tr><th>result</th><th>suite · table</th><th>expectation</th><th>rows</th>"
             "<th>observed</th><th>sample of failing records</th></tr>"]
    for (suite, table, expectation, column, family, severity, success, observed, elements, unexpected, sample,
         description_en, description_zh, error, personal) in results:
        shown_sample = PERSONAL_SAMPLE if personal and sample else (sample or "")
        parts.append(
            f"<tr><td>{_verdict(success, severity)}</td><td>{_esc(suite)}<br><code>{_esc(table)}</code></td>"
            f"<td>{_esc(description_en)}<br>{_esc(description_zh)}<br><code>{_esc(expectation)}"
            f"({_esc(column)})</code> · {_esc(family)}</td>"
            f"<td>{unexpected or 0} of {elements or 0}</td><td><code>{_esc(observed)}</code>"
            f"{'<br>' + _esc(error) if error else ''}</td><td><code>{_esc(shown_sample)}</code></td></tr>")
    parts.append("</table>")
    path = run_page(docs_root, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(f"Northstar validations {run_id}", "\n".join(parts)), encoding="utf-8")
    return path


def write_data_docs(con: duckdb.DuckDBPyConnection, docs_root: Path, run_id: str) -> Path:
    """Write ``run_id``'s page and the index of the latest runs; returns the index."""
    write_run_page(con, docs_root, run_id)
    runs = con.execute("""select run_id, audited_at, decision, checks, failed_blocking, failed_warning
                          from audit.runs order by audited_at desc limit ?""", [RUNS_LISTED]).fetchall()
    rows = []
    for rid, audited_at, decision, checks, blocking, warning in runs:
        page = run_page(docs_root, rid)
        name = (f'<a href="runs/{_esc(page.name)}">{_esc(rid)}</a>' if page.exists() else _esc(rid))
        css = "fail-blocking" if blocking else "fail-warning" if warning else "pass"
        rows.append(f"<tr><td>{name}</td><td>{_esc(audited_at)}</td><td>{_esc(decision)}</td><td>{checks}</td>"
                    f"<td class=\"{css}\">{blocking} / {warning}</td></tr>")
    body = ("<h1>Northstar Data Docs 数据文档</h1><p>Every audit run's validations, newest first.</p>"
            "<table><tr><th>run</th><th>audited at</th><th>decision</th><th>expectations</th>"
            "<th>failed blocking / warning</th></tr>" + "\n".join(rows) + "</table>")
    index = site_index(docs_root)
    index.write_text(_page("Northstar Data Docs", body), encoding="utf-8")
    return index

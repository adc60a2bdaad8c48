"""The auditor's summary of an audit run, as HTML and as a PDF to file as evidence.

Per source area: checks run and failed, the trend over the last runs, which KPIs and dashboard
pages the failing tables feed, and a sample of the failing records; then a per-KPI trail from
each number back to the checks on its inputs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb

from expectations.audit import AuditOutcome, CheckResult

PAGES = ["Goal map", "Team view", "Person view", "Cross-analysis"]
# What each area's tables feed: KPI domains (dim_kpi.domain) and dashboard pages.
AREAS = {
    "crm": ("CRM (HubSpot)", ["sales"], PAGES),
    "projects": ("Projects (Jira)", ["delivery"], PAGES),
    "tickets": ("Tickets (Zendesk)", ["support"], PAGES),
    "hr": ("HR export", ["sales", "delivery", "support", "management", "manual"], [*PAGES, "Calibration"]),
    "goals": ("Goal workbook", [], ["Goal map", "Team view", "Person view", "Calibration"]),
    "people": ("Reviews, manual entries and goal numbers", ["management", "manual"],
               [*PAGES, "Calibration"]),
    "sources": ("All API sources", ["sales", "delivery", "support"], [*PAGES, "Pipeline status"]),
    "marts": ("Public marts", ["sales", "delivery", "support", "management", "manual"], [*PAGES, "Calibration"]),
}
TREND_RUNS = 10
# areas whose failing samples quote personal data (names, e-mails, scores, notes): the report counts them but does
# not quote them; HR reads them on the dashboards' data-quality page
PERSONAL_AREAS = ("hr", "people")
PERSONAL_SAMPLE = "(personal data: counted here, shown to HR on the data-quality page)"


def _sample(area: str, result: CheckResult) -> str:
    return PERSONAL_SAMPLE if area in PERSONAL_AREAS and result.sample else (result.sample or "")


@dataclass
class AreaSummary:
    key: str
    title: str
    checks: int
    failed_blocking: int
    failed_warning: int
    trend: list[int]  # failed checks per run, oldest first
    kpis: list[str]  # the KPIs its tables feed, by name (English / Chinese)
    pages: list[str]
    failures: list[CheckResult]


# KPIs typed in by hand about people (manual points): their restated values are counted, not listed (as samples)
PERSONAL_KPI_DOMAINS = ("manual",)
RESTATEMENTS_LISTED = 200


@dataclass(frozen=True)
class Restatements:
    rows: list[tuple]  # (month, KPI name, person or unit, closed, current, difference, records changed, which)
    withheld: int  # restatements of personal KPIs, counted only


def restatements(warehouse: Path) -> Restatements:
    """Closed months' KPI values that changed since their close (rule 17), for the auditor."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' and table_name in "
                             "('fct_kpi_restatements', 'dim_kpi')").fetchone()[0] == 2
        if not exists:
            return Restatements([], 0)
        personal = ", ".join(f"'{d}'" for d in PERSONAL_KPI_DOMAINS)
        rows = con.execute(
            f"""select strftime(r.close_month, '%Y-%m'), k.name_en,
                       coalesce(e.full_name || ' (' || r.subject_id || ')', u.name, r.subject_id),
                       r.closed_value, r.current_value, r.difference, r.changed_records, r.changed_record_labels
                from marts.fct_kpi_restatements r join marts.dim_kpi k using (kpi_key)
                left join marts.dim_employee e on r.subject_type = 'employee' and e.employee_id = r.subject_id
                left join marts.dim_org_unit u on r.subject_type = 'org_unit' and u.org_unit_id = r.subject_id
                where k.domain not in ({personal})
                order by r.close_month desc, k.name_en, r.subject_type, r.subject_id
                limit {RESTATEMENTS_LISTED}""").fetchall()
        rows = [(m, k, who, _amount(c), _amount(v), _amount(d, sign=True), n, w) for m, k, who, c, v, d, n, w in rows]
        withheld = con.execute(
            f"""select count(*) from marts.fct_kpi_restatements r join marts.dim_kpi k using (kpi_key)
                where k.domain in ({personal})""").fetchone()[0]
    return Restatements(rows, withheld)


def _amount(value: float | None, sign: bool = False) -> str:
    return "–" if value is None else format(value, "+,.2f" if sign else ",.2f")


def _restatement_text(r: Restatements) -> str:
    return (f"{len(r.rows)} KPI value(s) of closed months changed since their close"
            + (f" (the first {RESTATEMENTS_LISTED} listed)" if len(r.rows) == RESTATEMENTS_LISTED else "")
            + (f"; {r.withheld} more of hand-entered KPIs, counted only" if r.withheld else "") + ".")


def area_of_suites() -> dict[str, str]:
    from expectations.suites import areas

    return {suite.name: area for area, suites in areas().items() for suite in suites}


def summarise(warehouse: Path, outcome: AuditOutcome) -> tuple[list[AreaSummary], dict[str, list[CheckResult]]]:
    area_of = area_of_suites()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute(
            """select r.run_id, e.suite, count(*) filter (where not e.success) as failed
               from audit.runs r join audit.expectation_results e using (run_id)
               where r.run_id in (select run_id from audit.runs order by audited_at desc limit ?)
               group by all""", [TREND_RUNS]).fetchall()
        runs = [r[0] for r in con.execute(
            "select run_id from audit.runs order by audited_at desc limit ?", [TREND_RUNS]).fetchall()][::-1]
        kpis = con.execute("""select name_en || ' / ' || name_zh, domain from marts.dim_kpi
                              order by domain, kpi_key""").fetchall() \
            if con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' "
                           "and table_name = 'dim_kpi'").fetchall()[0][0] else []
    failed_by_run_area: dict[tuple[str, str], int] = {}
    for run_id, suite, failed in history:
        key = (run_id, area_of.get(suite, "marts"))
        failed_by_run_area[key] = failed_by_run_area.get(key, 0) + failed
    summaries = []
    for key, (title, domains, pages) in AREAS.items():
        results = [r for r in outcome.results if area_of.get(r.suite) == key]
        if not results:
            continue
        failures = [r for r in results if not r.success]
        trend = [failed_by_run_area.get((run, key), 0) for run in runs if run != outcome.run_id]
        summaries.append(AreaSummary(
            key, title, len(results), sum(r.severity == "blocking" for r in failures),
            sum(r.severity == "warning" for r in failures), [*trend, len(failures)][-TREND_RUNS:],
            [k for k, domain in kpis if domain in domains], pages if failures else [], failures))
    trail = {kpi: [r for r in outcome.results
                   if domain in AREAS[area_of.get(r.suite, "marts")][1]]
             for kpi, domain in kpis}
    return summaries, trail


def _trend(values: list[int]) -> str:
    """Failed expectations per run, oldest first, the run in this report last (marked): "2 → 1 → 0 (this run)"."""
    if len(values) == 1:
        return f"{values[0]} (this run; the first recorded)"
    return " → ".join(map(str, values)) + " (this run)"


CJK_FONTS = (  # TrueType fonts with Chinese glyphs (reportlab embeds TrueType outlines, not CFF/OpenType ones)
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei (make setup installs it)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def pdf_font() -> tuple[str, bool]:
    """The font the PDF is set in: an embedded CJK TrueType font (``NORTHSTAR_CJK_FONT`` or a known Debian path),
    else the non-embedded STSong-Light CID font (readers substitute it; logged, so it is never silent)."""
    import logging
    import os

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for candidate in (os.environ.get("NORTHSTAR_CJK_FONT"), *CJK_FONTS):
        if candidate and Path(candidate).exists():
            if "NorthstarCJK" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("NorthstarCJK", candidate, subfontIndex=0))
            return "NorthstarCJK", True
    logging.getLogger(__name__).warning(
        "no CJK TrueType font found (%s): the auditor PDF uses STSong-Light, not embedded; install Debian's "
        "fonts-wqy-microhei or set NORTHSTAR_CJK_FONT", ", ".join(CJK_FONTS))
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def render_html(outcome: AuditOutcome, summaries: list[AreaSummary], trail: dict[str, list[CheckResult]],
                data_docs: Path | None = None, restated: Restatements | None = None) -> str:
    verdict = "published" if outcome.publishable else "BLOCKED — the dashboards keep the last published data"
    parts = [f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Northstar audit {_esc(outcome.run_id)}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}} .blocking{{color:#b00}}
.warning{{color:#b60}} .ok{{color:#070}} code{{font-size:85%}}</style></head><body>
<h1>Audit report 稽核报告</h1>
<p>Run <code>{_esc(outcome.run_id)}</code> at {_esc(outcome.audited_at.isoformat(timespec='seconds'))}:
{len(outcome.results)} expectations, <span class="blocking">{len(outcome.blocking_failures)} blocking</span> and
<span class="warning">{len(outcome.warning_failures)} warning</span> failures — <b>{_esc(verdict)}</b>.</p>
{f'<p>Every validation in detail: <a href="{_esc(data_docs.as_uri())}">Great Expectations Data Docs</a></p>'
 if data_docs else ''}
<h2>By source 按数据源</h2><table><tr><th>source</th><th>expectations</th><th>failed (blocking / warning)</th>
<th>failed per run, last {TREND_RUNS} (oldest first, this run last)</th><th>feeds KPIs</th>
<th>affected dashboards</th></tr>"""]
    for s in summaries:
        css = "blocking" if s.failed_blocking else "warning" if s.failed_warning else "ok"
        parts.append(f"<tr><td>{_esc(s.title)}</td><td>{s.checks}</td><td class='{css}'>{s.failed_blocking} / "
                     f"{s.failed_warning}</td><td>{_esc(_trend(s.trend))}</td>"
                     f"<td>{_esc(', '.join(s.kpis))}</td><td>{_esc(', '.join(s.pages))}</td></tr>")
    parts.append("</table><h2>Failures and samples 失败明细与样本</h2>")
    for s in summaries:
        for r in s.failures:
            parts.append(f"<h3 class='{r.severity}'>{_esc(s.title)} · {_esc(r.table_name)} · {_esc(r.severity)}</h3>"
                         f"<p>{_esc(r.description_en)}<br>{_esc(r.description_zh)}</p>"
                         f"<p><code>{_esc(r.expectation)}({_esc(r.column_name)})</code> — rule family "
                         f"{_esc(r.family)}; {r.unexpected_count or 0} of {r.element_count or 0} rows unexpected"
                         f"{'; ' + _esc(r.error) if r.error else ''}</p>"
                         f"<p>Sample: <code>{_esc(_sample(s.key, r))}</code></p>")
    parts.append("<h2>Per-KPI trail 指标溯源</h2><table><tr><th>KPI</th><th>checks on its inputs</th>"
                 "<th>failing</th></tr>")
    for kpi, results in trail.items():
        failing = [f"{r.suite}: {r.description_en}" for r in results if not r.success]
        parts.append(f"<tr><td>{_esc(kpi)}</td><td>{len(results)}</td>"
                     f"<td>{_esc('; '.join(failing)) or '<span class=ok>none</span>'}</td></tr>")
    restated = restated or Restatements([], 0)
    parts.append("</table><h2>Restatements of closed months 已结账月份的重述</h2>"
                 f"<p>{_esc(_restatement_text(restated))}</p>")
    if restated.rows:
        parts.append("<table><tr><th>month</th><th>KPI</th><th>person or unit</th><th>closed</th><th>current</th>"
                     "<th>difference</th><th>records changed</th></tr>")
        for month, kpi, subject, closed, current, diff, n, which in restated.rows:
            parts.append(f"<tr><td>{_esc(month)}</td><td>{_esc(kpi)}</td><td>{_esc(subject)}</td>"
                         f"<td>{_esc(closed)}</td><td>{_esc(current)}</td><td>{_esc(diff)}</td>"
                         f"<td>{n}: {_esc(which)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_pdf(path: Path, outcome: AuditOutcome, summaries: list[AreaSummary],
               trail: dict[str, list[CheckResult]], restated: Restatements | None = None) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, _ = pdf_font()  # one font for every style: embedded, so the PDF reads the same on any machine
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    body = styles["BodyText"]

    def para(text: object) -> Paragraph:
        return Paragraph(_esc(text), body)

    story = [Paragraph("Northstar audit report 稽核报告", styles["Title"]),
             para(f"Run {outcome.run_id} at {outcome.audited_at.isoformat(timespec='seconds')}: "
                  f"{len(outcome.results)} expectations, {len(outcome.blocking_failures)} blocking and "
                  f"{len(outcome.warning_failures)} warning failures — "
                  f"{'published' if outcome.publishable else 'BLOCKED'}"), Spacer(1, 12)]
    rows = [[para(h) for h in ("source", "expectations", "failed blocking / warning", "trend", "feeds KPIs",
                               "affected dashboards")]]
    rows += [[para(s.title), para(s.checks), para(f"{s.failed_blocking} / {s.failed_warning}"),
              para(_trend(s.trend)), para(", ".join(s.kpis)), para(", ".join(s.pages))]
             for s in summaries]
    table = Table(rows, repeatRows=1, colWidths=[110, 45, 80, 90, 250, 160])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("FONTNAME", (0, 0), (-1, -1), font)]))
    story += [table, Spacer(1, 12), Paragraph("Failures and samples 失败明细与样本", styles["Heading2"])]
    for s in summaries:
        for r in s.failures:
            story += [Paragraph(_esc(f"{s.title} · {r.table_name} · {r.severity}"), styles["Heading3"]),
                      para(r.description_en), para(r.description_zh),
                      para(f"{r.expectation}({r.column_name}); {r.unexpected_count or 0} of {r.element_count or 0} "
                           f"rows unexpected. Sample: {_sample(s.key, r)[:600]}")]
    story += [Paragraph("Per-KPI trail 指标溯源", styles["Heading2"])]
    trail_rows = [[para("KPI"), para("checks on inputs"), para("failing")]]
    trail_rows += [[para(k), para(len(v)), para("; ".join(f"{r.suite}: {r.description_en}" for r in v
                                                          if not r.success) or "none")]
                   for k, v in trail.items()]
    trail_table = Table(trail_rows, repeatRows=1, colWidths=[170, 80, 480])
    trail_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                     ("FONTNAME", (0, 0), (-1, -1), font)]))
    story.append(trail_table)
    restated = restated or Restatements([], 0)
    story += [Paragraph("Restatements of closed months 已结账月份的重述", styles["Heading2"]),
              para(_restatement_text(restated))]
    if restated.rows:
        restated_rows = [[para(h) for h in ("month", "KPI", "person or unit", "closed", "current", "difference",
                                            "records changed")]]
        restated_rows += [[para(m), para(k), para(s), para(c), para(v), para(d), para(f"{n}: {w}")]
                          for m, k, s, c, v, d, n, w in restated.rows]
        restated_table = Table(restated_rows, repeatRows=1, colWidths=[50, 150, 110, 80, 80, 70, 190])
        restated_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                            ("FONTNAME", (0, 0), (-1, -1), font)]))
        story.append(restated_table)
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"Northstar audit {outcome.run_id}",
                      initialFontName=font).build(story)  # not Helvetica: every font in the file is embedded


def write_reports(warehouse: Path, outcome: AuditOutcome, folder: Path,
                  data_docs: Path | None = None) -> tuple[Path, Path]:
    """``<folder>/<run_id>/summary.html`` and ``summary.pdf``."""
    summaries, trail = summarise(warehouse, outcome)
    out = folder / outcome.run_id
    out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out / "summary.html", out / "summary.pdf"
    restated = restatements(warehouse)
    html_path.write_text(render_html(outcome, summaries, trail, data_docs, restated), encoding="utf-8")
    render_pdf(pdf_path, outcome, summaries, trail, restated)
    return html_path, pdf_path

"""What every page shares: the signed-in user, the language, cached queries, localised tables with exports.

Pages stay thin: they pick filters, call ``query()`` and hand frames to ``table()`` or a chart.
"""

from __future__ import annotations

import html
import io
import re
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from config.settings import load_settings
from dashboards import access_log, queries, serving
from dashboards.access import AccessDenied, User
from dashboards.i18n import format_date, format_number, format_percent, status_label, t

STATUS_ICONS = {"achieved": "🏆", "on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_data": "⚪"}
STATUS_COLOURS = {"achieved": "#2e7d32", "on_track": "#66bb6a", "at_risk": "#ffb300", "off_track": "#e53935",
                  "no_data": "#bdbdbd", None: "#e0e0e0"}


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Text people typed (names, titles, file names, error causes), escaped for ``st.markdown`` and friends:
    it shows as written, never as a link, an image, emphasis or HTML."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def plot_text(values: list) -> list:
    """Labels for a plotly chart: plotly reads a subset of HTML in text (<a href>, <b>, <br>), so entities."""
    return [html.escape(str(v)) if v is not None else v for v in values]


def plot_frame(frame: pl.DataFrame, *text_columns: str):
    """``frame`` for a plotly express chart, its text columns escaped (see ``plot_text``)."""
    escaped = [pl.col(c).map_elements(html.escape, return_dtype=pl.Utf8) for c in text_columns if c in frame.columns]
    return (frame.with_columns(escaped) if escaped else frame).to_pandas()


def lang() -> str:
    # not .get("lang", default): the default would read northstar.toml on every call (a status chip each)
    language = st.session_state.get("lang")
    return language if language else load_settings().dashboards.language


def tr(key: str, **values: object) -> str:
    return t(key, lang(), **values)


def current_user() -> User:
    user = st.session_state.get("user")
    if user is None:
        st.stop()
    return user


@st.cache_resource(max_entries=4, show_spinner=False)
def _snapshot(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """One open snapshot per published version (opening the file costs 15-25 ms at the medium tier).

    It is opened after ``version`` was read from the file, so it holds that version or a newer one, never an
    older one: a publish racing a query can put newer rows under the old key, not stale rows under the new."""
    del version
    return serving.open_snapshot(Path(path))


def _reader(version: str) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return serving.reader(_snapshot(str(serving.serving_file()), version))


@st.cache_data(ttl=load_settings().dashboards.cache_ttl_seconds, show_spinner=False, max_entries=2000)
def _cached(name: str, version: str, user: User, kwargs: tuple[tuple[str, Any], ...]) -> pl.DataFrame | Any:
    # ``version`` is part of the key: a new publication is a cache miss, so fresh data shows without a restart
    with _reader(version) as con:
        return getattr(queries, name)(con, user, **dict(kwargs))


@st.cache_data(ttl=load_settings().dashboards.cache_ttl_seconds, show_spinner=False)
def _cached_reference(name: str, version: str, args: tuple) -> Any:
    with _reader(version) as con:
        return getattr(queries, name)(con, *args)


def query(name: str, **kwargs: Any) -> Any:
    """Run ``queries.<name>`` for the signed-in user, cached per published version."""
    return _cached(name, serving.version_key() or "none", current_user(), tuple(sorted(kwargs.items())))


def scoped(name: str, **kwargs: Any) -> Any:
    """``query()``, but a refusal from the query layer ends the page with the access-denied notice."""
    try:
        return query(name, **kwargs)
    except AccessDenied as exc:
        denied(exc)
        st.stop()


def goal_period_select(key: str, quarters_only: bool = False) -> str:
    """A goal-period picker that starts on the quarter holding the data's as-of day."""
    periods = [p for p in reference("goal_periods") if "-Q" in p or not quarters_only]
    default = reference("current_quarter")
    return st.selectbox(tr("period"), periods, key=key,
                        index=periods.index(default) if default in periods else len(periods) - 1)


def reference(name: str, *args: Any) -> Any:
    """Unscoped reference data (KPI catalogue, periods, as-of date), cached per published version."""
    return _cached_reference(name, serving.version_key() or "none", args)


def stale_banner() -> None:
    """On every page: say so when the data shown is older than the last refresh attempt (blocked by the audit)."""
    notice = serving.stale_notice()
    if notice:
        key = "failed_banner" if notice["decision"] == "failed" else "stale_banner"
        # the causes quote sources and files: shown as text, never markdown
        st.error(tr(key, published=when(notice["published"]), attempted=when(notice["attempted"]),
                    failures=md("; ".join(notice["failures"][:3]) or "–")), icon="⚠️")


def page_header(page_key: str) -> User:
    """The page title; stops the page for a role the page is not for (whatever URL or switch led here)."""
    from dashboards.navigation import PAGES

    user = current_user()
    st.header(tr(page_key))
    stale_banner()
    if user.role not in PAGES[page_key][1]:
        st.warning(tr("access_denied"))
        access_log.record_view(user, page_key.removeprefix("page_"), {"denied": True})
        st.stop()
    return user


def page_view(page: str, **filters: object) -> None:
    """Log this view (user, page, filters, time) outside the serving database."""
    access_log.record_view(current_user(), page, filters)


def denied(exc: AccessDenied) -> None:
    """The query layer refused: say so (the reason names only the user's own request) and log the refusal."""
    access_log.record_view(current_user(), "refused", {"reason": str(exc)})
    st.warning(f"{tr('access_denied')} ({md(exc)})")


def status_chip(status: str | None) -> str:
    return f"{STATUS_ICONS.get(status, '⚪')} {status_label(status, lang())}"


def kpi_label(row: dict) -> str:
    return row["name_zh"] if lang() == "zh" else row["name_en"]


def kpi_options() -> dict[str, str]:
    frame = reference("kpis")
    return {row["kpi_key"]: kpi_label(row) for row in frame.iter_rows(named=True)}


def localise(frame: pl.DataFrame, columns: dict[str, str], percent: tuple[str, ...] = (),
             numbers: tuple[str, ...] = (), dates: tuple[str, ...] = (),
             statuses: tuple[str, ...] = ()) -> pl.DataFrame:
    """The columns to show, renamed to labels, numbers/dates/statuses formatted for the current language."""
    language = lang()
    out = frame.select([c for c in columns if c in frame.columns])
    replacements = []
    for col in out.columns:
        if col in percent:
            replacements.append(pl.col(col).map_elements(lambda v: format_percent(v, language), return_dtype=pl.Utf8))
        elif col in numbers:
            replacements.append(pl.col(col).map_elements(lambda v: format_number(v, language), return_dtype=pl.Utf8))
        elif col in dates:
            replacements.append(pl.col(col).map_elements(lambda v: format_date(v, language), return_dtype=pl.Utf8))
        elif col in statuses:
            replacements.append(pl.col(col).map_elements(status_chip, return_dtype=pl.Utf8))
    if replacements:
        out = out.with_columns(replacements)
    # formatted cells for nulls too ("–"), so an empty value never reads as zero
    for col in (*percent, *numbers, *dates):
        if col in out.columns:
            out = out.with_columns(pl.col(col).fill_null("–"))
    return out.rename({c: tr(label) for c, label in columns.items() if c in out.columns})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """OWASP's CSV-injection rule: a text cell that a spreadsheet would read as a formula (starting with = + - @,
    tab or carriage return) gets a leading apostrophe, so it opens as the text it is."""
    risky = [c for c, dtype in frame.schema.items() if dtype == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(c).str.starts_with(FORMULA_STARTS[0]) | pl.col(c).str.contains(r"^[+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in risky)


def _xlsx(frame: pl.DataFrame) -> bytes:
    """Text cells stay text: xlsxwriter would otherwise turn '=…' strings into formulas and URLs into links."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False}) as workbook:
        frame.write_excel(workbook, autofit=True)
    return buffer.getvalue()


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return csv_safe(frame).write_csv().encode("utf-8-sig")


def table(frame: pl.DataFrame, name: str, shown: pl.DataFrame | None = None, **column_config: Any) -> None:
    """Show a table (``shown``: its localised form) with CSV and XLSX downloads of the same rows."""
    limit = load_settings().dashboards.max_rows
    if frame.is_empty():
        st.info(tr("nothing_here"))
        return
    if frame.height > limit:
        st.caption(tr("rows_limited", n=limit))
    frame = frame.head(limit)
    display = (shown if shown is not None else frame).head(limit)
    st.dataframe(display.to_pandas(), hide_index=True, width="stretch", column_config=column_config or None)
    export = _exportable(frame)
    left, right = st.columns(2)
    # files are generated when clicked (deferred), not on every rerun: an XLSX of thousands of rows costs ~1 s
    left.download_button(tr("download_csv"), lambda: csv_bytes(export), f"{name}.csv",
                         "text/csv", key=f"csv-{name}")
    right.download_button(tr("download_xlsx"), lambda: _xlsx(export), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"xlsx-{name}")


def _exportable(frame: pl.DataFrame) -> pl.DataFrame:
    """Exports keep raw values; nested columns (lists, JSON) become text so CSV can carry them."""
    casts = [pl.col(c).cast(pl.List(pl.Utf8)).list.join(", ") for c, dtype in frame.schema.items()
             if isinstance(dtype, pl.List)]
    casts += [pl.col(c).cast(pl.Utf8) for c, dtype in frame.schema.items() if isinstance(dtype, pl.Struct | pl.Object)]
    # Excel has no time zones: instants are exported in UTC
    casts += [pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None) for c, dtype in frame.schema.items()
              if isinstance(dtype, pl.Datetime) and dtype.time_zone]
    return frame.with_columns(casts) if casts else frame


def when(value: str | datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, lang()) + (value.strftime(" %H:%M UTC") if isinstance(value, datetime) else "")

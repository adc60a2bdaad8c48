"""What every page shares: the signed-in user, the language, cached queries, localised tables with exports.

Pages stay thin: they pick filters, call ``query()`` and hand frames to ``table()`` or a chart.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import duckdb
import polars as pl
import streamlit as st

from config.settings import load_settings
from dashboards import access_log, queries, serving
from dashboards.access import AccessDenied, User
from dashboards.i18n import (
    BADGE_HEX,
    STATUS_BADGES,
    format_date,
    format_kpi_value,
    format_month,
    format_number,
    format_percent,
    period_label,
    status_badge,
    status_label,
    t,
    word,
)

STATUS_COLOURS = {"achieved": "#2e7d32", "on_track": "#66bb6a", "at_risk": "#ffb300", "off_track": "#e53935",
                  "no_data": "#bdbdbd", None: "#e0e0e0"}


def each(frame: pl.DataFrame, fn: Callable[[Any], Any], *columns: str, dtype: Any = pl.Utf8) -> pl.Series:
    """``fn`` applied in Python to each row of ``frame``: to the value of one column (a null stays null, unread),
    or to a dict of several; a Series named after the first column, for ``with_columns``.

    Why not polars' ``map_elements``: polars runs it on its thread pool, and each call there waits for the GIL.
    With 20 dashboard sessions formatting at once, the pool and the GIL deadlocked: every session's page hung
    "running" with the server idle (the 20-user load test, polars 2.1; see pola-rs/polars#26821). Formatting a
    page's cells in plain Python takes the GIL in the session's own thread only."""
    if len(columns) == 1:
        values = [None if value is None else fn(value) for value in frame[columns[0]].to_list()]
    else:
        values = [fn(row) for row in frame.select(columns).iter_rows(named=True)]
    return pl.Series(columns[0], values, dtype=dtype)


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
    escaped = [each(frame, html.escape, c) for c in text_columns if c in frame.columns]
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
    """A goal-period picker that starts on the URL's period, else the quarter holding the data's as-of day."""
    periods = [p for p in reference("goal_periods") if "-Q" in p or not quarters_only]
    language = lang()  # bound now: a format function may be called outside the script thread
    # a period this page does not offer (a year on a quarters-only page) is no refusal: the page's default opens
    return url_select(tr("period"), periods, key, "period", reference("current_quarter"),
                      lambda p: period_label(p, language), unknown_opens_default=True)


# -- links: a view's state lives in its URL (page path + query parameters) --------------------------------------

LINK_TEXT = r"#(.*)$"  # a table link shows the text after '#' (the fragment never reaches the server)


def link(page: str, text: object, **params: object) -> str:
    """A relative link to ``page`` (its url path) opening the view ``params`` describe; ``text`` is what a table's
    link column shows. Relative, so it works under any base path."""
    query = urlencode({k: str(v) for k, v in params.items() if v is not None})
    # the grid decodes the text after '#' as a URI component ('+' read as a space): percent-encoded, a "45.0 %"
    # or a name with '+' or '%' shows as written, where raw it showed the whole URL or lost the '+'
    return f"{page}?{query}#{quote(str(text), safe='')}"


def shown_text(cell: str) -> str:
    """What the grid shows for a link cell, decoded as Streamlit's LinkColumn does with ``LINK_TEXT`` (the text
    after '#', '+' as a space, then URI-decoded; on a malformed escape, the whole URL)."""
    found = re.search(LINK_TEXT, cell, re.DOTALL)
    if found is None:
        return cell
    encoded = found.group(1).replace("+", "%20")
    if re.search(r"%(?![0-9A-Fa-f]{2})", encoded):  # decodeURIComponent throws on a bare '%'
        return cell
    try:
        return unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return cell


def md_link(page: str, text: object, **params: object) -> str:
    """The same link for markdown: the text escaped (a name is data), the URL percent-encoded."""
    return f"[{md(text)}]({link(page, '', **params).removesuffix('#')})"


def link_column(label: str) -> Any:
    return st.column_config.LinkColumn(label, display_text=LINK_TEXT)


def url_select(label: str, options: list, key: str, param: str, default: Any = None,
               format_func: Any = str, unknown_opens_default: bool = False) -> Any:
    """A select box whose choice is kept in the URL's ``param``. A value arriving in the URL (a link, a bookmark)
    selects it once; the user's later picks are written back, so a reload or a shared link opens the same view.
    Returns None when the URL asks for a value that is not among ``options`` (the caller says why), unless
    ``unknown_opens_default``: then such a value is ignored."""
    wanted, written = st.query_params.get(param), st.session_state.setdefault("_url_written", {})
    if wanted is not None and wanted != written.get(param):  # arrived from outside this session's own writes
        written[param] = wanted
        if wanted in [str(o) for o in options]:
            st.session_state[key] = next(o for o in options if str(o) == wanted)
        elif not unknown_opens_default:
            return None
    if not options:
        return None
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    if key in st.session_state:  # the widget's own state decides (a default as well would be ignored, and warned)
        choice = st.selectbox(label, options, key=key, format_func=format_func)
    else:
        index = options.index(default) if default in options else len(options) - 1
        choice = st.selectbox(label, options, key=key, index=index, format_func=format_func)
    st.query_params[param] = written[param] = str(choice)
    return choice


def requested(param: str) -> str | None:
    """A value the URL asks for (e.g. a person outside the user's scope, to be refused with the reason)."""
    return st.query_params.get(param)


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
                    failures=md("; ".join(notice["failures"][:3]) or "–")))


def page_header(page_key: str) -> User:
    """The page title; stops the page for a role the page is not for (whatever URL or switch led here)."""
    from dashboards.navigation import PAGE_PARAMS, PAGES

    user = current_user()
    for name in [n for n in st.query_params if n not in PAGE_PARAMS.get(page_key, ())]:
        del st.query_params[name]  # another page's state: a shared URL carries only this view's
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
    """A status as plain text in the user's language (select boxes, metrics, chart hovers)."""
    return status_label(status or "no_data", lang())


def badge(status: str | None) -> str:
    """A status as a coloured badge with its word, for markdown."""
    return status_badge(status, lang())


def period_text(period: str | None) -> str:
    return period_label(period, lang())


def status_column(label: str, cells: dict[str, str | None] | None = None) -> Any:
    """Column config drawing status cells as coloured pills holding the word. ``cells``: each cell text -> its
    status (default: the statuses' own words), so a cell can say more than the status ("83 % · on track")."""
    language = lang()
    cells = cells or {status_label(s, language): s for s in STATUS_BADGES}
    return st.column_config.MultiselectColumn(
        label, options=list(cells), disabled=True,
        color=[BADGE_HEX[STATUS_BADGES.get(s or "no_data", "gray")] for s in cells.values()])


def kpi_label(row: dict) -> str:
    return row["name_zh"] if lang() == "zh" else row["name_en"]


def goal_title(title: str | None, kpi_key: str | None, kpi_names: dict[str, str]) -> str:
    """The goal's title as its owner wrote it in the workbook; a KPI key typed into it reads as the KPI's name in
    the user's language, and an untitled KPI goal is called by its KPI."""
    name = kpi_names.get(kpi_key or "", kpi_key or "")
    text = (title or "").strip()
    if not text:
        return name or "–"
    return text.replace(kpi_key, name) if kpi_key else text


def goals_shown(goals: pl.DataFrame, owner: str, title_link: Any = None,
                actual_link: Any = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A goal table as people read it: the workbook's title, its type, the KPI's name and the period in the user's
    language, the owner, targets and actuals in the KPI's unit, attainment, pace, status and forecast. ``title_link``
    / ``actual_link``: row -> URL (see ``link``) to make the title or the number a link. Returns (frame, columns'
    config) for ``table``."""
    language, names, units = lang(), kpi_options(), kpi_units()

    def in_unit(column: str) -> pl.Series:
        return each(goals, lambda r: format_kpi_value(r[column], units.get(r["kpi_key"]), language),
                    column, "kpi_key")

    rows = goals.with_columns(
        each(goals, lambda r: goal_title(r["title"], r["kpi_key"], names), "title", "kpi_key").alias("title_text"),
        pl.col("kpi_key").replace_strict(names, default=None).fill_null("–").alias("kpi_name"),
        pl.col("goal_type").replace_strict({k: t(k, language) for k in ("objective", "key_result", "kpi")},
                                           default=pl.col("goal_type")).alias("type_text"),
        each(goals, lambda p: period_label(p, language), "period").alias("period_text"),
        pl.lit(owner).alias("owner"),
        *(in_unit(c).alias(f"{c}_text") for c in ("original_target", "target", "actual", "forecast_value")))
    config: dict[str, Any] = {}
    for column, make in (("title_text", title_link), ("actual_text", actual_link)):
        if make is not None:
            rows = rows.with_columns(each(rows, lambda r, c=column, f=make: f(r, r[c]), *rows.columns).alias(column))
    shown = localise(rows, {"title_text": "goal_title", "type_text": "goal_type", "kpi_name": "kpi",
                            "period_text": "period", "owner": "owner", "weight": "weight",
                            "original_target_text": "original_target", "target_text": "target",
                            "actual_text": "actual", "attainment": "attainment",
                            "expected_attainment": "expected_attainment", "status": "status",
                            "forecast_value_text": "forecast_value", "forecast_attainment": "forecast_attainment"},
                     percent=("attainment", "expected_attainment", "forecast_attainment"), statuses=("status",))
    if title_link is not None:
        config[tr("goal_title")] = link_column(tr("goal_title"))
    if actual_link is not None:
        config[tr("actual")] = link_column(tr("actual"))
    return shown, config


def kpi_units() -> dict[str, str]:
    frame = reference("kpis")
    return dict(zip(frame["kpi_key"], frame["unit"], strict=True))


def kpi_options() -> dict[str, str]:
    frame = reference("kpis")
    return {row["kpi_key"]: kpi_label(row) for row in frame.iter_rows(named=True)}


def localise(frame: pl.DataFrame, columns: dict[str, str], percent: tuple[str, ...] = (),
             numbers: tuple[str, ...] = (), dates: tuple[str, ...] = (),
             statuses: tuple[str, ...] = ()) -> pl.DataFrame:
    """The columns to show, renamed to labels, numbers/dates/statuses formatted for the current language."""
    language = lang()  # read once, here: formatters run outside the script thread (no session state there)
    out = frame.select([c for c in columns if c in frame.columns])
    replacements = []
    for col in out.columns:
        if col in percent:
            replacements.append(each(out, lambda v: format_percent(v, language), col))
        elif col in numbers:
            replacements.append(each(out, lambda v: format_number(v, language), col))
        elif col in dates:
            replacements.append(each(out, lambda v: format_date(v, language), col))
        elif col in statuses:  # a one-word list: drawn as a coloured pill by status_column (see table())
            words = {s: status_label(s, language) for s in STATUS_BADGES}
            word_of_status = pl.col(col).fill_null("no_data").replace_strict(words, default=pl.col(col))
            replacements.append(pl.concat_list(word_of_status.cast(pl.Utf8)).alias(col))
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
    display = _no_blanks((shown if shown is not None else frame).head(limit))
    status_header = tr("status")
    if status_header in display.columns and isinstance(display.schema[status_header], pl.List):
        column_config.setdefault(status_header, status_column(status_header))
    st.dataframe(display.to_pandas(), hide_index=True, width="stretch", column_config=column_config or None)
    export = _exportable(frame)
    left, right = st.columns(2)
    # files are generated when clicked (deferred), not on every rerun: an XLSX of thousands of rows costs ~1 s
    left.download_button(tr("download_csv"), lambda: csv_bytes(export), f"{name}.csv",
                         "text/csv", key=f"csv-{name}")
    right.download_button(tr("download_xlsx"), lambda: _xlsx(export), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"xlsx-{name}")


def _no_blanks(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty cells read "–", never "None" or "NaN" (the grid prints a null as "None")."""
    language = lang()
    fixes = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Utf8:
            fixes.append(pl.col(name).fill_null("–"))
        elif dtype.is_numeric() and frame[name].null_count():
            fixes.append(each(frame, lambda v: format_number(v, language), name).fill_null("–"))
        elif dtype == pl.Null:
            fixes.append(pl.lit("–").alias(name))
    return frame.with_columns(fixes) if fixes else frame


def _exportable(frame: pl.DataFrame) -> pl.DataFrame:
    """Exports keep raw values; nested columns (lists, JSON) become text so CSV can carry them."""
    casts = [pl.col(c).cast(pl.List(pl.Utf8)).list.join(", ") for c, dtype in frame.schema.items()
             if isinstance(dtype, pl.List)]
    casts += [pl.col(c).cast(pl.Utf8) for c, dtype in frame.schema.items() if isinstance(dtype, pl.Struct | pl.Object)]
    # Excel has no time zones: instants are exported in UTC
    casts += [pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None) for c, dtype in frame.schema.items()
              if isinstance(dtype, pl.Datetime) and dtype.time_zone]
    return frame.with_columns(casts) if casts else frame


def worded(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Enumerations (decision, severity, status, source object) and flags in the user's language; instants as
    ``when`` writes them."""
    language = lang()
    yes_no = {True: t("yes", language), False: t("no", language)}
    fixes = []
    for c in (c for c in columns if c in frame.columns):
        dtype = frame.schema[c]
        if dtype == pl.Boolean:
            fixes.append(pl.col(c).replace_strict(yes_no, return_dtype=pl.Utf8))
        elif isinstance(dtype, pl.Datetime | pl.Date):
            fixes.append(each(frame, lambda v: when(v, language), c).fill_null("–"))
        else:
            fixes.append(each(frame, lambda v: word(v, language), c))
    return frame.with_columns(fixes) if fixes else frame


def month_text(value: date | None) -> str:
    return format_month(value, lang())


def when(value: str | datetime | date | None, language: str | None = None) -> str:
    """A day or an instant in the user's language (pass ``language`` when called outside the script thread, e.g.
    from a polars expression: session state is not readable there)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, language or lang()) + (value.strftime(" %H:%M UTC") if isinstance(value, datetime)
                                                     else "")

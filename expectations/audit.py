"""The audit (数据稽核): run every suite on the build warehouse, keep every result, decide publishing.

Great Expectations has no working DuckDB SQL route here (its metric queries came back empty
through duckdb_engine). Each suite's frame is materialised in DuckDB, every expectation is counted
there (``metrics.py``), and Great Expectations validates the failing rows as a dataframe batch, for
the sample: no whole table is pulled into pandas. Results go to ``audit.expectation_results`` (kept across runs), a run
summary to ``audit.runs``; the run is publishable when no blocking expectation failed.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations.metrics import FRAME, Measured, measure
from expectations.rules import Suite

SAMPLE_SIZE = 20
RESULT_COLUMNS = (
    "run_id varchar, audited_at timestamptz, suite varchar, table_name varchar, asset_key varchar, "
    "expectation varchar, column_name varchar, family varchar, severity varchar, success boolean, "
    "observed_value varchar, element_count bigint, unexpected_count bigint, sample json, "
    "description_en varchar, description_zh varchar, error varchar"
)


@dataclass
class CheckResult:
    run_id: str
    audited_at: datetime
    suite: str
    table_name: str
    asset_key: str
    expectation: str
    column_name: str | None
    family: str
    severity: str
    success: bool
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    sample: str | None
    description_en: str
    description_zh: str
    error: str | None = None


@dataclass
class AuditOutcome:
    run_id: str
    audited_at: datetime
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "blocking"]

    @property
    def warning_failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def publishable(self) -> bool:
        return not self.blocking_failures

    def for_suite(self, suite: str) -> list[CheckResult]:
        return [r for r in self.results if r.suite == suite]


def memory_limit() -> str:
    from config.settings import load_settings

    return load_settings().memory_limit  # validated as an amount of memory when the settings load


def new_run_id() -> str:
    return "audit-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(f"create table if not exists audit.expectation_results ({RESULT_COLUMNS})")
    con.execute("""create table if not exists audit.runs (
        run_id varchar, audited_at timestamptz, seconds double, checks integer, failed_blocking integer,
        failed_warning integer, decision varchar)""")
    con.execute("""create table if not exists audit.table_counts (
        run_id varchar, audited_at timestamptz, table_name varchar, observed_rows bigint)""")


def _gx_context(docs_root: Path | None):
    """A file context under ``docs_root`` (results kept, Data Docs built), else an ephemeral one."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if docs_root is None:
        context = gx.get_context(mode="ephemeral")
    else:
        context = gx.get_context(mode="file", project_root_dir=str(docs_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def data_docs_index(docs_root: Path) -> Path:
    """The offline Data Docs (``expectations/docs.py``), not GX's CDN-styled site."""
    from expectations.docs import site_index

    return site_index(docs_root)


def _sample(result: dict) -> str | None:
    rows = result.get("unexpected_index_list") or result.get("partial_unexpected_list")
    if not rows:
        return None
    return json.dumps([_readable(row) for row in rows[:SAMPLE_SIZE]], default=str, ensure_ascii=False)


def _readable(value: object) -> object:
    """A sample value as a person reads it: pandas' NaN for a missing value is null, not ``NaN``."""
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def sample_text(sample: str | None, rows: int = 3) -> str:
    """A stored sample as one line of whole records (``key=value, …; …``), never cut inside a record."""
    if not sample:
        return ""
    try:
        records = json.loads(sample)
    except json.JSONDecodeError:
        return sample.splitlines()[0][:200]
    if not isinstance(records, list):
        records = [records]
    shown = ["{" + ", ".join(f"{k}={'–' if v is None else v}" for k, v in r.items()) + "}" if isinstance(r, dict)
             else str(r) for r in records[:rows]]
    more = len(records) - len(shown)
    return "; ".join(shown) + ("; …" if more > 0 else "")


def _validate(context, suite: Suite, frame, run_id: str, now: datetime, keep: bool) -> list[CheckResult]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    source = context.data_sources.add_or_update_pandas("northstar")
    asset = next((a for a in source.assets if a.name == suite.name), None) or source.add_dataframe_asset(suite.name)
    batches = next((b for b in asset.batch_definitions if b.name == "whole"), None) \
        or asset.add_batch_definition_whole_dataframe("whole")
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": suite.key,
                     "partial_unexpected_count": SAMPLE_SIZE}
    if keep:  # a stored validation: Data Docs show it, run by run
        gx_suite = context.suites.add_or_update(suite.gx_suite())
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batches, suite=gx_suite))
        validation = definition.run(batch_parameters={"dataframe": frame}, result_format=result_format,
                                    run_id=RunIdentifier(run_name=run_id))
    else:
        batch = batches.get_batch(batch_parameters={"dataframe": frame})
        validation = batch.validate(suite.gx_suite(), result_format=result_format)
    out = []
    for r in validation.results:
        config, meta, res = r.expectation_config, r.expectation_config.meta or {}, r.result or {}
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(filter(None, [kwargs.get("column_A"), kwargs.get("column_B")])) \
            or ",".join(kwargs.get("column_list") or [])
        error = None
        if r.exception_info and r.exception_info.get("raised_exception"):
            error = str(r.exception_info.get("exception_message"))[:1000]
        out.append(CheckResult(
            run_id, now, suite.name, suite.table, "/".join(suite.asset_key), config.type, column or None,
            meta.get("family", ""), meta.get("severity", "blocking"), bool(r.success),
            None if res.get("observed_value") is None else str(res.get("observed_value")),
            res.get("element_count"), res.get("unexpected_count"), _sample(res),
            meta.get("description_en", ""), meta.get("description_zh", ""), error))
    return out


def _whole_frame(results: list[CheckResult], suite: Suite, measured: list[Measured]) -> list[CheckResult]:
    """Great Expectations' results on the failing rows, with success and counts of the whole frame (DuckDB's).

    An expectation DuckDB could not measure fails, naming why: Great Expectations only saw the rows other
    expectations found failing, so its own verdict would pass a rule that was never checked on the whole frame.
    """
    for result, expectation, m in zip(results, suite.expectations, measured, strict=True):
        if result.expectation != expectation.expectation_type:
            raise RuntimeError(f"{suite.name}: results out of order ({result.expectation})")
        if m.error is None:
            result.success = m.success(expectation.configuration.kwargs.get("mostly"))
            result.element_count, result.unexpected_count = m.element_count, m.unexpected_count
        else:
            result.success, result.element_count, result.unexpected_count = False, m.element_count, None
            result.error = f"not measured on the whole frame: {m.error}"[:1000]
    return results


def _unreadable(suite: Suite, exc: Exception, run_id: str, now: datetime) -> list[CheckResult]:
    """A frame that cannot even be selected fails every expectation of its suite."""
    out = []
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        out.append(CheckResult(run_id, now, suite.name, suite.table, "/".join(suite.asset_key),
                               expectation.expectation_type, None, meta.get("family", ""),
                               meta.get("severity", "blocking"), False, None, None, None, None,
                               meta.get("description_en", ""), meta.get("description_zh", ""),
                               f"cannot read {suite.table}: {exc}"[:1000]))
    return out


def run_audit(warehouse: Path, run_id: str | None = None, suites: list[Suite] | None = None,
              docs_root: Path | None = None) -> AuditOutcome:
    """Validate every suite against the build warehouse and store the results there.

    With ``docs_root``, GX keeps the validations in a file context there, and the run's offline Data Docs page
    (``expectations/docs.py``) is written beside them.
    """
    from expectations.suites import all_suites
    from expectations.suites.sources import VOLUME_TABLES

    started = time.perf_counter()
    outcome = AuditOutcome(run_id or new_run_id(), datetime.now(UTC))
    context = _gx_context(docs_root)
    with duckdb.connect(str(warehouse)) as con:
        ensure_audit_tables(con)
        con.execute(f"set memory_limit = '{memory_limit()}'")  # what does not fit spills to disk beside the file
        for suite in suites if suites is not None else all_suites():
            try:
                con.execute(f"create or replace temp table {FRAME} as "
                            f"select row_number() over () as __row, * from ({suite.sql}) as frame")
            except duckdb.Error as exc:
                outcome.results.extend(_unreadable(suite, exc, outcome.run_id, outcome.audited_at))
                continue
            measured = measure(con, suite.expectations, SAMPLE_SIZE)
            failing = sorted({row for m in measured for row in m.sample_rows})
            frame = con.execute(f"select * exclude (__row) from {FRAME} where list_contains(?, __row) "
                                "order by __row", [failing]).df()
            results = _validate(context, suite, frame, outcome.run_id, outcome.audited_at,
                                keep=docs_root is not None)
            outcome.results.extend(_whole_frame(results, suite, measured))
        con.execute(f"drop table if exists {FRAME}")
        outcome.seconds = time.perf_counter() - started
        _store(con, outcome, VOLUME_TABLES)
        if docs_root is not None:  # our own self-contained pages: GX's site needs CDNs to render
            from expectations.docs import write_data_docs

            write_data_docs(con, docs_root, outcome.run_id)
    return outcome


def _store(con: duckdb.DuckDBPyConnection, outcome: AuditOutcome, volume_tables: list[str]) -> None:
    counts = []  # what the next run's volume check compares against
    for table in volume_tables:
        try:
            counts.append((table, con.execute(f"select count(*) from staging.{table}").fetchall()[0][0]))
        except duckdb.Error:
            continue  # a staging table that failed to build has no count to compare against
    con.execute("begin transaction")
    con.executemany(
        "insert into audit.expectation_results values (" + ", ".join(["?"] * 17) + ")",
        [[r.run_id, r.audited_at, r.suite, r.table_name, r.asset_key, r.expectation, r.column_name, r.family,
          r.severity, r.success, r.observed_value, r.element_count, r.unexpected_count, r.sample, r.description_en,
          r.description_zh, r.error] for r in outcome.results])
    decision = "publish" if outcome.publishable else "blocked"
    con.execute("insert into audit.runs values (?, ?, ?, ?, ?, ?, ?)",
                [outcome.run_id, outcome.audited_at, outcome.seconds, len(outcome.results),
                 len(outcome.blocking_failures), len(outcome.warning_failures), decision])
    con.executemany("insert into audit.table_counts values (?, ?, ?, ?)",
                    [[outcome.run_id, outcome.audited_at, table, rows] for table, rows in counts])
    _store_suite_feeds(con)
    con.execute("commit")


def _store_suite_feeds(con: duckdb.DuckDBPyConnection) -> None:
    """What each suite's tables feed (KPI domains, dashboard pages): the data-quality page reads it."""
    from expectations.report import AREAS, PERSONAL_AREAS, area_of_suites

    con.execute("""create or replace table audit.suite_feeds (
        suite varchar, area varchar, area_title varchar, kpi_domains varchar[], pages varchar[],
        personal_data boolean)""")
    con.executemany("insert into audit.suite_feeds values (?, ?, ?, ?, ?, ?)",
                    [[suite, area, AREAS[area][0], AREAS[area][1], AREAS[area][2], area in PERSONAL_AREAS]
                     for suite, area in sorted(area_of_suites().items())])

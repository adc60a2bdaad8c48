"""The audit as Dagster asset checks, and publishing as the asset that runs only after them.

All suites run in one step (one GX context, one pass over the build warehouse) and report one
check per suite and severity on the asset the suite validates; blocking ones are blocking checks,
so a failure stops the run before ``serving/northstar`` is published.
"""

from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
    multi_asset_check,
)

from config import settings
from expectations.audit import AuditOutcome, data_docs_index, run_audit, sample_text
from expectations.docs import run_page
from expectations.publish import PublishRefused, publish, read_status, write_status
from expectations.report import write_reports
from expectations.rules import Suite
from expectations.suites import all_suites
from orchestration.resources import Warehouse


def _check_name(suite: Suite, severity: str) -> str:
    return f"{suite.name}__{severity}"


def _specs(suites: list[Suite]) -> list[AssetCheckSpec]:
    specs = []
    for suite in suites:
        for severity in sorted({e.meta["severity"] for e in suite.expectations}):
            specs.append(AssetCheckSpec(
                name=_check_name(suite, severity), asset=AssetKey(suite.asset_key),
                blocking=severity == "blocking",
                description=f"{suite.table}: " + " ".join(
                    e.meta["description_en"] for e in suite.expectations if e.meta["severity"] == severity)))
    return specs


def _check_results(outcome: AuditOutcome, suites: list[Suite]):
    for suite in suites:
        for severity in sorted({e.meta["severity"] for e in suite.expectations}):
            failed = [r for r in outcome.for_suite(suite.name) if r.severity == severity and not r.success]
            yield AssetCheckResult(
                asset_key=AssetKey(suite.asset_key), check_name=_check_name(suite, severity), passed=not failed,
                severity=AssetCheckSeverity.ERROR if severity == "blocking" else AssetCheckSeverity.WARN,
                metadata={
                    "audit_run_id": outcome.run_id,
                    "failed": [f"{r.description_en} ({r.unexpected_count or 0} of {r.element_count or 0} rows)"
                               + (f"; e.g. {sample_text(r.sample)}" if r.sample else "")
                               + (f"; {r.error}" if r.error else "")
                               for r in failed],
                })


def build_audit_checks():
    suites = all_suites()

    @multi_asset_check(specs=_specs(suites), name="audit")
    def audit(context: AssetCheckExecutionContext, warehouse: Warehouse):
        run_id = context.op_execution_context.run_id
        outcome = run_audit(Path(warehouse.path), run_id=run_id, docs_root=settings.gx_dir())
        html_report, pdf_report = write_reports(Path(warehouse.path), outcome, settings.reports_dir(),
                                                data_docs_index(settings.gx_dir()))
        write_status(settings.serving_path(), last_attempt={
            "run_id": run_id, "audited_at": outcome.audited_at.isoformat(),
            "decision": "publish" if outcome.publishable else "blocked",
            "blocking_failures": [f"{r.table_name}: {r.description_en}"
                                  + (f" ({r.unexpected_count} rows)" if r.unexpected_count else "")
                                  for r in outcome.blocking_failures],
            "report_html": str(html_report), "report_pdf": str(pdf_report),
            "data_docs": str(data_docs_index(settings.gx_dir())),
            "data_docs_run": str(run_page(settings.gx_dir(), run_id)),
        })
        yield from _check_results(outcome, suites)

    return audit


def build_publish_asset(dbt_assets: AssetsDefinition) -> AssetsDefinition:
    checked = {AssetKey(s.asset_key) for s in all_suites()}
    marts = {key for key in dbt_assets.keys if key.path[0] == "marts"}

    @asset(key=["serving", "northstar"], deps=sorted(marts | checked, key=str), group_name="publish",
           kinds={"duckdb"},
           description="The serving database dashboards read: the audited marts and the audit history, "
                       "swapped in whole by an atomic rename.")
    def serving_database(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        serving = settings.serving_path()
        run_id = context.run.run_id
        try:
            publication = publish(Path(warehouse.path), serving, run_id)
        except PublishRefused as exc:
            write_status(serving, last_attempt={"run_id": run_id, "decision": "blocked", "error": str(exc)})
            raise
        # the fingerprint of what this run built (the whole project only: a partial build cannot vouch for the rest)
        build = read_status(serving).get("last_build") or {}
        this_build = build.get("run_id") == run_id
        write_status(serving, last_published={"run_id": run_id, "tables": len(publication.tables),
                                              "published_at": datetime.now(UTC).isoformat(),
                                              "fingerprint": build.get("fingerprint") if this_build else None,
                                              "code": build.get("code") if this_build else None})
        return MaterializeResult(metadata={"tables": len(publication.tables),
                                           "mart_rows": sum(n for t, n in publication.tables.items()
                                                            if t.startswith("marts."))})

    return serving_database

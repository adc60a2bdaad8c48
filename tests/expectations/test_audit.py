"""The audit runner on hand-made frames: failing expectations fail, with severity, sample and history."""

from __future__ import annotations

import duckdb
import great_expectations as gx
import pytest

from expectations.audit import run_audit
from expectations.publish import PublishRefused, publish
from expectations.rules import Suite, rule
from expectations.suites import all_suites

E = gx.expectations


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.things as select * from (values ('a', 5.0), ('b', -1.0), ('c', 2.0)) "
                    "t(thing_id, amount)")
        con.execute("create schema staging")
        for table in ("stg_hubspot__deals", "stg_hubspot__calls", "stg_jira__issues", "stg_zendesk__tickets",
                      "stg_zendesk__satisfaction_ratings", "stg_hr__employees"):
            con.execute(f"create table staging.{table} as select 1 as x")
    return path


def suite(severity: str) -> Suite:
    s = Suite("things", "marts.things", ["marts", "things"], "select * from marts.things", key=["thing_id"])
    s.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="amount", min_value=0, family="range", severity=severity,
             en="Amounts are not negative.", zh="金额不为负数。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="thing_id", family="completeness", severity="blocking",
             en="Every thing has an id.", zh="每个都有ID。"),
    ]
    return s


def test_a_failing_expectation_fails_with_its_sample_and_blocks(warehouse):
    outcome = run_audit(warehouse, run_id="r1", suites=[suite("blocking")])
    failing, passing = outcome.results
    assert (failing.success, failing.severity, failing.family, failing.unexpected_count) == (False, "blocking",
                                                                                            "range", 1)
    assert '"thing_id": "b"' in failing.sample
    assert failing.description_zh == "金额不为负数。"
    assert passing.success and passing.expectation == "expect_column_values_to_not_be_null"
    assert not outcome.publishable
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select decision, failed_blocking from audit.runs").fetchall() == [("blocked", 1)]
        stored = con.execute("select success, severity from audit.expectation_results order by 1").fetchall()
    assert stored == [(False, "blocking"), (True, "blocking")]


def test_a_failing_warning_still_publishes_and_history_accumulates(warehouse, tmp_path):
    first = run_audit(warehouse, run_id="r1", suites=[suite("warning")])
    assert first.publishable and len(first.warning_failures) == 1
    run_audit(warehouse, run_id="r2", suites=[suite("warning")])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(distinct run_id), count(*) from audit.expectation_results").fetchall() == \
            [(2, 4)]
    serving = tmp_path / "serving" / "northstar.duckdb"
    publication = publish(warehouse, serving, "r2")
    assert publication.tables["marts.things"] == 3 and publication.tables["audit.expectation_results"] == 4


def test_publish_refuses_a_blocked_run_and_leaves_serving_alone(warehouse, tmp_path):
    run_audit(warehouse, run_id="ok", suites=[suite("warning")])
    serving = tmp_path / "serving" / "northstar.duckdb"
    publish(warehouse, serving, "ok")
    before = serving.read_bytes()
    run_audit(warehouse, run_id="bad", suites=[suite("blocking")])
    with pytest.raises(PublishRefused, match="bad is not publishable"):
        publish(warehouse, serving, "bad")
    assert serving.read_bytes() == before


def test_a_table_that_cannot_be_read_fails_its_checks(warehouse):
    broken = Suite("gone", "marts.gone", ["marts", "gone"], "select * from marts.gone", key=["x"])
    broken.expectations = suite("blocking").expectations
    outcome = run_audit(warehouse, run_id="r1", suites=[broken])
    assert not outcome.publishable and all("cannot read marts.gone" in r.error for r in outcome.results)


def test_every_rule_family_is_covered_and_described_in_both_languages():
    suites = all_suites()
    expectations = [e for s in suites for e in s.expectations]
    families = {e.meta["family"] for e in expectations}
    assert families == {"completeness", "uniqueness", "enumeration", "range", "ordering", "freshness", "volume",
                        "referential", "goal_integrity", "reconciliation"}
    assert all(e.meta["description_en"] and e.meta["description_zh"] for e in expectations)
    assert {e.meta["severity"] for e in expectations} == {"blocking", "warning"}
    assert len({s.name for s in suites}) == len(suites)


def test_data_docs_are_written_for_each_run_and_open_offline(warehouse, tmp_path):
    import re

    from expectations.audit import data_docs_index
    from expectations.docs import run_page

    docs_root = tmp_path / "gx"
    run_audit(warehouse, run_id="docs-run-1", suites=[suite("blocking")], docs_root=docs_root)
    run_audit(warehouse, run_id="docs-run-2", suites=[suite("blocking")], docs_root=docs_root)
    index = data_docs_index(docs_root)
    page = run_page(docs_root, "docs-run-1")
    assert "docs-run-1" in index.read_text() and "docs-run-2" in index.read_text(), "the index lists every run"
    assert "things" in page.read_text() and "failed" in page.read_text()
    for html_file in (index, page, run_page(docs_root, "docs-run-2")):
        text = html_file.read_text()
        # nothing is fetched: no http(s) URL, no script, no external stylesheet
        assert not re.search(r"https?://", text), html_file
        assert "<script" not in text and "<link" not in text


def _reconciliation_warehouse(path, mart_total: float):
    """One rep, E1, hired (first assignment) 2026-03-01; deals of 100 closed before and 40 after the hire."""
    with duckdb.connect(str(path)) as con:
        for schema in ("intermediate", "staging", "marts"):
            con.execute(f"create schema {schema}")
        con.execute("""create table intermediate.int_identities_resolved as
                       select 'hubspot' as source, 'o1' as source_user_id, 'E1' as employee_id""")
        con.execute("""create table staging.stg_hubspot__deals as select * from (values
                       ('d1', 100.0, 'closedwon', 'o1', timestamp '2026-01-10 10:00'),
                       ('d2', 40.0, 'closedwon', 'o1', timestamp '2026-04-10 10:00'))
                       t(deal_id, amount, deal_stage, owner_id, closed_at)""")
        con.execute("""create table staging.stg_jira__issues (story_points double, assignee_account_id varchar,
                       status_category varchar, resolved_at timestamp)""")
        con.execute("""create table staging.stg_zendesk__tickets (ticket_id varchar, assignee_id varchar,
                       status varchar)""")
        con.execute("create table staging.stg_zendesk__ticket_metrics (ticket_id varchar, solved_at timestamp)")
        con.execute("""create table staging.stg_hr__assignments as
                       select 'E1' as employee_id, date '2026-03-01' as effective_from""")
        con.execute("create table marts.dim_org_unit as select 'OU-1' as org_unit_id, null::varchar as parent_id")
        con.execute(f"""create table marts.fct_kpi_values as select 'sales_closed_won_amount' as kpi_key,
                        'org_unit' as subject_type, 'OU-1' as subject_id, 'year' as period_type,
                        {mart_total}::double as value""")


def test_reconciliation_counts_records_for_the_company_from_the_persons_first_assignment(tmp_path):
    """Rule 2: a deal closed before its owner's hire counts for the owner but no unit, so not in the company total."""
    from expectations.suites.marts import suites

    reconciliation = [s for s in suites() if s.name == "reconciliation"]
    agrees, differs = tmp_path / "agrees.duckdb", tmp_path / "differs.duckdb"
    _reconciliation_warehouse(agrees, 40.0)
    _reconciliation_warehouse(differs, 39.0)
    assert run_audit(agrees, run_id="r1", suites=reconciliation).publishable
    outcome = run_audit(differs, run_id="r2", suites=reconciliation)
    assert [r.table_name for r in outcome.blocking_failures] == ["company totals in marts vs staging"]


def test_an_expectation_duckdb_cannot_measure_fails_closed_naming_why(warehouse):
    """GX validates only the rows DuckDB found failing: an expectation with no DuckDB translation would pass
    on that reduced frame without ever having looked at the whole table, so it fails and says why."""
    s = suite("blocking")
    s.expectations = [  # every id is 1 character; no other rule fails, so GX would see no rows at all
        rule(E.ExpectColumnValueLengthsToBeBetween, column="thing_id", min_value=5, family="range",
             severity="blocking", en="Ids are at least 5 characters.", zh="ID至少5个字符。"),
        s.expectations[1],
    ]
    outcome = run_audit(warehouse, run_id="r1", suites=[s])
    unmeasured, measured = outcome.results
    assert measured.success
    assert not unmeasured.success and not outcome.publishable
    assert "not measured on the whole frame" in unmeasured.error and "no DuckDB translation" in unmeasured.error

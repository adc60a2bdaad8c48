"""The audit counts in DuckDB and lets Great Expectations validate only the failing rows: on every suite, with
every defect class seeded, that gives what validating the whole frame in pandas gave."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import duckdb

from expectations.audit import SAMPLE_SIZE, _gx_context, _validate, run_audit
from expectations.suites import all_suites


def _records(sample: str | None) -> set[str]:
    return {json.dumps(r, sort_keys=True, default=str) for r in json.loads(sample)} if sample else set()


def test_counting_in_duckdb_gives_what_validating_the_whole_frame_gave(defective_company, tmp_path):
    home = defective_company[0]
    copy = tmp_path / "northstar.duckdb"  # the suites name the catalog by the file name
    shutil.copy(home / "warehouse" / "northstar.duckdb", copy)
    suites = all_suites()
    outcome = run_audit(copy, suites=suites)
    context, now = _gx_context(None), datetime.now(UTC)
    compared = failing = 0
    with duckdb.connect(str(copy), read_only=True) as con:
        for suite in suites:
            whole = _validate(context, suite, con.execute(suite.sql).df(), "whole", now, keep=False)
            ours = outcome.for_suite(suite.name)
            assert [r.expectation for r in ours] == [r.expectation for r in whole], suite.name
            for mine, theirs in zip(ours, whole, strict=True):
                where = f"{suite.name}.{mine.expectation}({mine.column_name})"
                assert (mine.success, mine.element_count, mine.unexpected_count, mine.error) == (
                    theirs.success, theirs.element_count, theirs.unexpected_count, theirs.error), where
                if theirs.unexpected_count and theirs.unexpected_count <= SAMPLE_SIZE:
                    assert _records(mine.sample) == _records(theirs.sample), where
                elif theirs.unexpected_count:  # more failing rows than a sample holds: both show a full one
                    assert len(json.loads(mine.sample)) == len(json.loads(theirs.sample)) == SAMPLE_SIZE, where
                compared += 1
                failing += not theirs.success
    assert compared >= 50 and failing >= 8  # every suite, and the seeded defects really fail

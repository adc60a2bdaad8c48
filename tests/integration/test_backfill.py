"""`northstar refresh --since DAY`: every API source is re-read from DAY, and only periods that end on or after DAY
are rebuilt; an earlier period keeps its values even when a record of it changed since."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario

COMPANY_SALES = """select period_start::varchar, value from marts.fct_kpi_values
                   where kpi_key = 'sales_closed_won_amount' and subject_id = 'OU-0001' and period_type = ?
                   order by 1"""


def _raise_a_won_deal(warehouse: Path, first: str, last: str, extra: float) -> str:
    """A new raw version of a deal won between ``first`` and ``last`` with ``extra`` more: a CRM correction."""
    with duckdb.connect(str(warehouse)) as con:
        [deal_id] = con.execute(
            """select record_id from marts.fct_kpi_records where kpi_key = 'sales_closed_won_amount'
               and event_date between ? and ? order by record_id limit 1""", [first, last]).fetchone()
        newest = "select * from raw_hubspot.deals where record_id = ? order by updated_at desc limit 1"
        record_id, _, _, payload, _, _, source = con.execute(newest, [deal_id]).fetchone()
        body = json.loads(payload)
        body["properties"]["amount"] = f"{float(body['properties']['amount']) + extra:.2f}"
        con.execute("insert into raw_hubspot.deals values (?, ?, '2026-11-30 10:00:00+00', ?, 'test', now(), ?)",
                    [record_id, f"correction-{first}", json.dumps(body), source])
    return deal_id


def _values(home: Path, period_type: str) -> dict[str, float]:
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        return dict(con.execute(COMPANY_SALES, [period_type]).fetchall())


def test_a_backfill_rebuilds_only_the_periods_from_its_day(refreshed_copy):
    home = refreshed_copy
    warehouse = home / "warehouse" / "northstar.duckdb"
    months, quarters = _values(home, "month"), _values(home, "quarter")
    _raise_a_won_deal(warehouse, "2026-08-03", "2026-08-28", 1000)  # a period that ended before the backfill's day
    _raise_a_won_deal(warehouse, "2026-10-05", "2026-10-25", 3000)  # one after it
    env = os.environ | {"NORTHSTAR_HOME": str(home), "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh", "--since", "2026-09-01"], env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr

    after_months, after_quarters = _values(home, "month"), _values(home, "quarter")
    assert after_months["2026-08-01"] == months["2026-08-01"]  # untouched though its deal changed
    assert {m: v for m, v in after_months.items() if m < "2026-09-01"} == \
        {m: v for m, v in months.items() if m < "2026-09-01"}
    assert round(after_months["2026-10-01"] - months["2026-10-01"], 2) == 3000
    assert after_months["2026-09-01"] == months["2026-09-01"]
    assert after_quarters["2026-07-01"] == quarters["2026-07-01"] + 1000  # Q3 ends after the day: rebuilt whole
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = dict(con.execute(
            """select source || '.' || object, calls from raw_meta.loads
               where started_at = (select max(started_at) from raw_meta.loads l2 where l2.source = loads.source
                                   and l2.object = loads.object)""").fetchall())
        cursor = json.loads(con.execute("select cursor from raw_meta.cursors where source = 'jira' and object = "
                                        "'issues'").fetchone()[0])
    # each API source was read again from 1 September: three months of changes, not one day's
    assert loads["hubspot.deals"] > 3 and loads["zendesk.tickets"] > 1 and loads["jira.issues"] > 3, loads
    assert cursor["updated_ms"] > 1_795_000_000_000  # and its cursor moved on to the newest change again


def test_since_and_full_exclude_each_other(refreshed_copy):
    env = os.environ | {"NORTHSTAR_HOME": str(refreshed_copy)}
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh", "--since", "2026-09-01", "--full"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "--since and --full exclude each other" in run.stdout

"""What each expectation measures, computed in DuckDB: how many rows it looked at, how many fail, which fail first.

The audit no longer pulls whole tables into pandas (at the medium tier that held gigabytes; at the large tier it
would not fit). Each suite's frame is materialised in DuckDB (which spills to disk), every expectation is
translated into the SQL condition that marks a row unexpected, with Great Expectations' own rules for missing
values, and counted there. Great Expectations then validates only the rows DuckDB found failing (at most
``SAMPLE_SIZE`` per expectation, with every copy of a duplicated value): its result gives the failing sample as
before, while success and counts come from the whole frame. `tests/expectations/test_metrics.py` checks, on
every suite with every defect seeded, that this gives the results validating the whole frame gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from expectations.rules import Rule  # reads as its GX expectation (configuration, expectation_type)

FRAME = "audit_frame"  # the suite's frame, a temporary table with a row number __row in frame order
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


@dataclass
class Measured:
    element_count: int
    unexpected_count: int | None = None
    nonmissing_count: int | None = None
    error: str | None = None
    sample_rows: list[int] = field(default_factory=list)  # __row of the first failing rows

    def success(self, mostly: float | None) -> bool:
        if self.error or self.unexpected_count is None:
            return False
        if mostly is None or not self.nonmissing_count:
            return self.unexpected_count == 0
        return 1 - self.unexpected_count / self.nonmissing_count >= mostly


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _missing(column: str, types: dict[str, str]) -> str:
    """Missing as pandas (and so Great Expectations) sees it: null, and NaN in a float column."""
    quoted = _quote(column)
    if types.get(column, "").upper() in FLOAT_TYPES:
        return f"({quoted} is null or isnan({quoted}))"
    return f"({quoted} is null)"


def conditions(expectation: Rule, types: dict[str, str]) -> tuple[str, str]:
    """(the rows the expectation looks at beyond the missing ones, the rows it finds unexpected), as SQL."""
    kind = expectation.kind
    kw = expectation.configuration.kwargs
    if kind == "ExpectColumnValuesToNotBeNull":
        return "true", _missing(kw["column"], types)
    if kind in ("ExpectColumnValuesToBeInSet", "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeUnique"):
        column = _quote(kw["column"])
        present = f"not {_missing(kw['column'], types)}"
        if kind == "ExpectColumnValuesToBeInSet":
            return present, f"{present} and {column} not in ({', '.join(_literal(v) for v in kw['value_set'])})"
        if kind == "ExpectColumnValuesToBeUnique":
            return present, f"{present} and count(*) over (partition by {column}) > 1"
        low, high = kw.get("min_value"), kw.get("max_value")
        outside = []
        if low is not None:
            outside.append(f"{column} {'<=' if kw.get('strict_min') else '<'} {_literal(low)}")
        if high is not None:
            outside.append(f"{column} {'>=' if kw.get('strict_max') else '>'} {_literal(high)}")
        return present, f"{present} and ({' or '.join(outside) or 'false'})"
    if kind == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = kw["column_A"], kw["column_B"]
        ignore = kw.get("ignore_row_if", "both_values_are_missing")
        present = {"either_value_is_missing": f"not {_missing(a, types)} and not {_missing(b, types)}",
                   "both_values_are_missing": f"not ({_missing(a, types)} and {_missing(b, types)})",
                   "neither": "true"}[ignore]
        compare = ">=" if kw.get("or_equal") else ">"
        return present, f"{present} and not coalesce({_quote(a)} {compare} {_quote(b)}, false)"
    if kind == "ExpectCompoundColumnsToBeUnique":
        columns = kw["column_list"]
        ignore = kw.get("ignore_row_if", "all_values_are_missing")
        missing = [_missing(c, types) for c in columns]
        present = {"all_values_are_missing": f"not ({' and '.join(missing)})",
                   "any_value_is_missing": f"not ({' or '.join(missing)})", "never": "true"}[ignore]
        return present, f"{present} and count(*) over (partition by {', '.join(map(_quote, columns))}) > 1"
    raise NotImplementedError(f"{kind} has no DuckDB translation yet: add it to expectations/metrics.py")


def measure(con: duckdb.DuckDBPyConnection, expectations: list[Rule], sample_size: int) -> list[Measured]:
    """Each expectation's counts over the frame table, and the first failing rows (every copy of a duplicate
    among them, so a uniqueness check still sees the duplicates in the reduced frame)."""
    types = dict(con.execute(f"select column_name, column_type from (describe {FRAME})").fetchall())
    (rows,) = con.execute(f"select count(*) from {FRAME}").fetchone()
    out = []
    for expectation in expectations:
        measured = Measured(rows)
        try:
            looked_at, unexpected = conditions(expectation, types)
            # window functions cannot sit in a WHERE: mark each row first, then count and pick
            con.execute(f"""create or replace temp table audit_marks as
                            select __row, ({looked_at}) as looked_at, ({unexpected}) as unexpected
                            from {FRAME}""")
            measured.nonmissing_count, measured.unexpected_count = con.execute(
                "select count(*) filter (where looked_at), count(*) filter (where unexpected) from audit_marks"
            ).fetchone()
            measured.sample_rows = [r[0] for r in con.execute(
                "select __row from audit_marks where unexpected order by __row limit ?", [sample_size]).fetchall()]
            if _is_uniqueness(expectation) and measured.sample_rows:
                measured.sample_rows = _with_their_copies(con, expectation, measured.sample_rows)
        except (duckdb.Error, NotImplementedError, KeyError) as exc:
            measured.error = f"{type(exc).__name__}: {exc}"[:1000]
        out.append(measured)
    return out


def _is_uniqueness(expectation: Rule) -> bool:
    return expectation.kind in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")


def _with_their_copies(con: duckdb.DuckDBPyConnection, expectation: Rule, first: list[int]) -> list[int]:
    """The sampled duplicates with every other row holding one of their values (at most 10 per value)."""
    kw = expectation.configuration.kwargs
    columns = ", ".join(map(_quote, kw.get("column_list") or [kw["column"]]))
    rows = con.execute(f"""
        select __row from (
            select __row, row_number() over (partition by {columns} order by __row) as copy,
                   max(__row in ({', '.join(map(str, first))})) over (partition by {columns}) as sampled
            from {FRAME} join audit_marks using (__row) where unexpected)
        where sampled and copy <= 10""").fetchall()
    return sorted({r[0] for r in rows} | set(first))

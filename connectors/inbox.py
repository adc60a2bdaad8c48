"""File-drop readers: HR export, goal workbook, 1:1s, reviews, manual KPI entries.

A file is recognised by its name prefix (see ``TEMPLATES``). It is validated
whole first: columns, types, required values, enumerations, duplicate keys,
empty sheets. Then either all of it lands in one transaction, or none of it
does and the file is moved to ``inbox/rejected/`` with a ``.reason.txt`` that
names file, sheet, row and column. A landed file moves to ``inbox/loaded/``.
Extra columns are allowed and kept (in the ``extra`` JSON column).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from connectors.landing import META_SCHEMA, RawStore, new_load_id

PERIOD = re.compile(r"^\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text / date / number / integer
    required: bool = True
    allowed: tuple[str, ...] = ()
    pattern: re.Pattern | None = None


def _cols(spec: str, **overrides: Column) -> tuple[Column, ...]:
    """``"a, b:date, c?:number"``: name, optional type, ``?`` when the value may be empty."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        name, _, kind = item.partition(":")
        optional = name.endswith("?")
        name = name.rstrip("?")
        out.append(overrides.get(name) or Column(name, kind or "text", not optional))
    return tuple(out)


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Template:
    prefix: str
    source: str  # raw schema suffix: raw_<source>
    tables: tuple[Table, ...]


TEMPLATES = (
    Template("hr_", "hr", (
        Table("org_units", "org_unit_id", _cols(
            "org_unit_id, name, unit_type, parent_id?, manager_employee_id?",
            unit_type=Column("unit_type", allowed=("company", "department", "team")))),
        Table("employees", "employee_id", _cols(
            "employee_id, full_name, email, title?, hire_date:date, termination_date?:date")),
        Table("assignments", "employee_id+effective_from", _cols(
            "employee_id, org_unit_id, manager_id?, effective_from:date")),
    )),
    Template("goals_", "goals", (
        Table("goals", "goal_id", _cols(
            "goal_id, parent_goal_id?, goal_type, title, owner_type, owner_id, kpi_key?, period, baseline?:number, "
            "target?:number, weight:number, revision:integer, revised_on:date",
            goal_type=Column("goal_type", allowed=("objective", "key_result", "kpi")),
            owner_type=Column("owner_type", allowed=("org_unit", "employee")),
            period=Column("period", pattern=PERIOD))),
    )),
    Template("one_on_ones_", "one_on_ones", (
        Table("one_on_ones", "meeting_id", _cols("meeting_id, manager_id, employee_id, held_on:date")),
    )),
    Template("reviews_", "reviews", (
        Table("reviews", "review_id", _cols(
            "review_id, employee_id, reviewer_id, cycle, self_score?:number, manager_score?:number, "
            "submitted_on?:date")),
    )),
    Template("manual_", "manual", (
        Table("manual_entries", "entry_id", _cols(
            "entry_id, employee_id, kpi_key, entry_date:date, value:number, category, note?, entered_by")),
    )),
)


@dataclass(frozen=True)
class Bounds:
    """Ranges the templates imply, from settings: review scores on the review scale, manual values bounded."""

    review_score_min: float = 1.0
    review_score_max: float = 5.0
    manual_value_min: float = -1000.0
    manual_value_max: float = 1000.0

    def for_column(self, table: str, column: str) -> tuple[float, float] | None:
        if table == "reviews" and column in ("self_score", "manager_score"):
            return self.review_score_min, self.review_score_max
        if table == "manual_entries" and column == "value":
            return self.manual_value_min, self.manual_value_max
        return None


class RejectedFile(ValueError):
    """A file that cannot be loaded; ``problems`` each name sheet, row and column."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{file} rejected ({len(problems)} problem(s)):\n{shown}{more}")


@dataclass
class FileResult:
    file: str
    status: str  # loaded / rejected / skipped
    rows: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def template_for(name: str) -> Template | None:
    # Longest prefix first: "one_on_ones_" must not be taken for another template's prefix.
    for template in sorted(TEMPLATES, key=lambda t: -len(t.prefix)):
        if name.startswith(template.prefix):
            return template
    return None


# --------------------------------------------------------------------------- reading


def read_sheets(path: Path, template: Template) -> dict[str, pl.DataFrame]:
    """Every table of the file as all-text frames (validation does the typing)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import fastexcel

        present = fastexcel.read_excel(str(path)).sheet_names
        wanted = [t.name for t in template.tables]
        missing = [name for name in wanted if name not in present]
        if missing:
            raise RejectedFile(path.name, [f"sheet {m!r} is missing (sheets found: {present})" for m in missing])
        return {name: pl.read_excel(path, sheet_name=name, infer_schema_length=0) for name in wanted}
    if suffix == ".csv":
        table = _csv_table(path.name, template)
        _check_csv_text(path, table)
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        return {table.name: frame}
    raise RejectedFile(path.name, [f"unsupported file type {suffix!r}: use .csv or .xlsx"])


def _check_csv_text(path: Path, table: Table) -> None:
    """One clear reason for the two common ways a spreadsheet saves a CSV we cannot read: a legacy encoding
    (GBK/GB18030 from a Chinese Excel, Latin-1 from a Western one) and a ';' or tab delimiter (European
    locales), instead of one "required column missing" line per column."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guess = "GBK/GB18030" if _decodes_as_chinese(data) else "Latin-1/Windows-1252 or another legacy encoding"
        raise RejectedFile(path.name, [
            f"file is not UTF-8 (byte {exc.start + 1} cannot be read; it looks like {guess}): "
            "save it as 'CSV UTF-8 (comma delimited)'"]) from None
    header = text.splitlines()[0] if text else ""
    if "," not in header and len(table.columns) > 1:
        found = next((name for sep, name in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")) if sep in header), None)
        hint = f" (found {found})" if found else ""
        raise RejectedFile(path.name, [f"the header has one column{hint}: use ',' as delimiter"])


def _decodes_as_chinese(data: bytes) -> bool:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _csv_table(name: str, template: Template) -> Table:
    rest = name[len(template.prefix):]
    for table in template.tables:
        if rest.startswith(table.name + "_") or rest == table.name + ".csv":
            return table
    if len(template.tables) == 1:  # e.g. one_on_ones_2026-11-30.csv
        return template.tables[0]
    names = ", ".join(f"{template.prefix}{t.name}_*.csv" for t in template.tables)
    raise RejectedFile(name, [f"cannot tell which table this CSV holds: name it one of {names}"])


def validate(path: Path, template: Template, kpi_keys: set[str] | None = None,
             bounds: Bounds | None = None) -> dict[str, pl.DataFrame]:
    """Typed frames for every table, or ``RejectedFile`` listing every problem found."""
    bounds = bounds or Bounds()
    try:
        sheets = read_sheets(path, template)
    except RejectedFile:
        raise
    except Exception as exc:  # unreadable bytes, broken zip, bad encoding: name the file, never the server's paths
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RejectedFile(path.name, [f"cannot be read as {path.suffix}: {scrub_paths(first_line, path)}"]) from exc
    problems: list[str] = []
    typed: dict[str, pl.DataFrame] = {}
    for table in template.tables:
        if table.name not in sheets:
            continue
        frame = sheets[table.name]
        where = f"sheet {table.name!r}" if path.suffix.lower() == ".xlsx" else "table " + repr(table.name)
        result = _validate_table(frame, table, where, kpi_keys, bounds, problems)
        if result is not None:
            typed[table.name] = result
    if problems:
        raise RejectedFile(path.name, problems)
    return typed


def _validate_table(frame: pl.DataFrame, table: Table, where: str, kpi_keys: set[str] | None, bounds: Bounds,
                    problems: list[str]) -> pl.DataFrame | None:
    frame = frame.rename({c: c.strip() for c in frame.columns})
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        problems.extend(f"{where}: required column {m!r} is missing (row 1, the header)" for m in missing)
        return None
    if frame.height == 0:
        problems.append(f"{where}: has a header but no rows")
        return None
    rows = frame.to_dicts()
    known = {c.name for c in table.columns}
    out: dict[str, list] = {c.name: [] for c in table.columns}
    out["extra"] = []
    seen: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        line = i + 2  # spreadsheet row: the header is row 1
        for col in table.columns:
            value, problem = _cell(row.get(col.name), col, kpi_keys, bounds.for_column(table.name, col.name))
            if problem:
                problems.append(f"{where}, row {line}, column {col.name!r}: {problem}")
            out[col.name].append(value)
        key = tuple(row.get(k) for k in table.key.split("+"))
        if key in seen:
            shown = key if len(key) > 1 else key[0]
            problems.append(f"{where}, row {line}, column {table.key!r}: duplicate key {shown!r}"
                            f" (first on row {seen[key]})")
        else:
            seen[key] = line
        extra = {k: v for k, v in row.items() if k not in known and v not in (None, "")}
        out["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
        if len(problems) > 200:
            break
    schema = {c.name: {"text": pl.Utf8, "date": pl.Date, "number": pl.Float64, "integer": pl.Int64}[c.kind]
              for c in table.columns} | {"extra": pl.Utf8}
    return pl.DataFrame(out, schema=schema) if not problems else None


def _cell(raw: object, col: Column, kpi_keys: set[str] | None,
          bounds: tuple[float, float] | None = None) -> tuple[object, str]:
    text = None if raw is None else str(raw).strip()
    if text in (None, ""):
        return None, ("a value is required" if col.required else "")
    try:
        if col.kind == "date":
            return _parse_date(text), ""
        if col.kind == "number":
            number = float(text)
            if not math.isfinite(number):  # float() reads inf, -Infinity, nan: no KPI can be computed from them
                return None, f"{text!r} is not a finite number"
            if bounds and not bounds[0] <= number <= bounds[1]:
                return None, f"{text!r} is outside the allowed range {bounds[0]:g} to {bounds[1]:g}"
            return number, ""
        if col.kind == "integer":
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number), ""
    except ValueError:
        expected = {"date": "a date YYYY-MM-DD", "number": "a number", "integer": "a whole number"}[col.kind]
        return None, f"{text!r} is not {expected}"
    if col.allowed and text not in col.allowed:
        return None, f"{text!r} is not one of {', '.join(col.allowed)}"
    if col.pattern and not col.pattern.match(text):
        return None, f"{text!r} is not a period (2026, 2026-H1, 2026-Q1 or 2026-03)"
    if col.name == "kpi_key" and kpi_keys and text not in kpi_keys:
        return None, f"{text!r} is not a KPI key of the catalogue"
    return text, ""


_ABSOLUTE_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"]+){2,}[\\/]?")


def scrub_paths(message: str, path: Path | None = None) -> str:
    """A reader's error without the server's folders: the file by its name, any other absolute path by its last part."""
    if path is not None:
        message = message.replace(str(path.resolve()), path.name).replace(str(path), path.name)
    return _ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], message)


def _parse_date(text: str) -> date:
    # XLSX date cells arrive as "2026-01-05 00:00:00"; CSV and text cells as "2026-01-05".
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", text):
        return date.fromisoformat(text[:10])
    raise ValueError(text)


# --------------------------------------------------------------------------- loading


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_inbox_log(store: RawStore) -> None:
    store.con.execute(f"""
        create table if not exists {META_SCHEMA}.inbox_files (
            file_name varchar, sha256 varchar, load_id varchar, loaded_at timestamptz,
            status varchar, row_count integer, reason varchar)""")


def already_loaded(store: RawStore, name: str, sha: str) -> bool:
    ensure_inbox_log(store)
    hit = store.con.execute(
        f"select 1 from {META_SCHEMA}.inbox_files where file_name = ? and sha256 = ? and status = 'loaded'",
        [name, sha]).fetchall()
    return bool(hit)


def _table_ddl(source: str, table: Table) -> str:
    sql_type = {"text": "varchar", "date": "date", "number": "double", "integer": "bigint"}
    cols = ", ".join(f"{c.name} {sql_type[c.kind]}" for c in table.columns)
    return (f"create table if not exists raw_{source}.{table.name} ({cols}, extra json, _file varchar, "
            f"_sheet varchar, _row integer, _load_id varchar, _loaded_at timestamptz, _source varchar)")


def land_file(store: RawStore, path: Path, template: Template, frames: dict[str, pl.DataFrame], sha: str) -> dict:
    """All tables of one file in one transaction, with its entry in the inbox log."""
    load_id, now = new_load_id(), datetime.now(UTC)
    counts = {}
    store.con.execute("begin transaction")
    try:
        store.con.execute(f"create schema if not exists raw_{template.source}")
        for table in template.tables:
            if table.name not in frames:
                continue
            store.con.execute(_table_ddl(template.source, table))
            frame = frames[table.name].with_columns(
                pl.lit(path.name).alias("_file"),
                pl.lit(table.name if path.suffix.lower() == ".xlsx" else None, pl.Utf8).alias("_sheet"),
                (pl.int_range(pl.len(), dtype=pl.Int32) + 2).alias("_row"),
                pl.lit(load_id).alias("_load_id"),
                pl.lit(now).alias("_loaded_at"),
                pl.lit(f"inbox:{template.prefix.rstrip('_')}").alias("_source"),
            )
            store.con.register("_file_rows", frame)
            cols = ", ".join(frame.columns)
            select = ", ".join("extra::json" if c == "extra" else c for c in frame.columns)
            target = f"raw_{template.source}.{table.name}"
            store.con.execute(f"insert into {target} ({cols}) select {select} from _file_rows")
            store.con.unregister("_file_rows")
            counts[f"raw_{template.source}.{table.name}"] = frame.height
        store.con.execute(f"insert into {META_SCHEMA}.inbox_files values (?, ?, ?, ?, 'loaded', ?, null)",
                          [path.name, sha, load_id, now, sum(counts.values())])
        store.con.execute("commit")
    except BaseException:
        store.con.execute("rollback")
        raise
    return counts


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{datetime.now(UTC):%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    return target


def reject(store: RawStore, path: Path, sha: str, reason: str) -> FileResult:
    target = _move(path, path.parent / "rejected")
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    ensure_inbox_log(store)
    store.con.execute(f"insert into {META_SCHEMA}.inbox_files values (?, ?, null, now(), 'rejected', 0, ?)",
                      [path.name, sha, reason[:4000]])
    return FileResult(path.name, "rejected", reason=reason)


def process_file(store: RawStore, path: Path, kpi_keys: set[str] | None = None,
                 bounds: Bounds | None = None) -> FileResult:
    """Validate then load (or reject) one inbox file."""
    sha = file_sha256(path)
    template = template_for(path.name)
    if template is None:
        prefixes = ", ".join(t.prefix for t in TEMPLATES)
        return reject(store, path, sha, f"{path.name} rejected: unrecognised name; expected a prefix of {prefixes}")
    if already_loaded(store, path.name, sha):
        _move(path, path.parent / "loaded")
        return FileResult(path.name, "skipped", reason="already loaded")
    try:
        frames = validate(path, template, kpi_keys, bounds)
    except RejectedFile as exc:
        return reject(store, path, sha, str(exc))
    counts = land_file(store, path, template, frames, sha)
    _move(path, path.parent / "loaded")
    return FileResult(path.name, "loaded", counts)


def pending_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, oldest name first (so revisions land in order)."""
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith((".partial", ".tmp")))


def kpi_keys_from_catalogue(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {row["kpi_key"] for row in csv.DictReader(fh)}


def process_inbox(store: RawStore, inbox: Path, kpi_keys: set[str] | None = None,
                  prefix: str | None = None, bounds: Bounds | None = None) -> list[FileResult]:
    files = [p for p in pending_files(inbox) if prefix is None or (template_for(p.name) is not None
             and template_for(p.name).prefix == prefix)]
    results = [process_file(store, p, kpi_keys, bounds) for p in files]
    ensure_raw_tables(store)
    return results


def ensure_raw_tables(store: RawStore) -> None:
    """Every template's raw table exists, empty until its first file: a company that has not dropped a 1:1,
    review or manual-entries file yet still builds (its staging models are empty, its KPIs have no values)."""
    ensure_inbox_log(store)
    for template in TEMPLATES:
        store.con.execute(f"create schema if not exists raw_{template.source}")
        for table in template.tables:
            store.con.execute(_table_ddl(template.source, table))

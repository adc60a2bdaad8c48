"""What a build is made from, in one digest: the raw tables (rows and newest landing), the inbox files loaded,
the closed months, every setting, and the code that turns them into marts and audits them (dbt models, macros,
seeds, expectation suites).

Equal digests mean an equal result: the data's as-of day comes from the data itself (``int_data_as_of``), so a
refresh in which nothing landed, no file arrived and nothing was changed can skip the build, the audit and the
publish ("nothing new since run <id>"). Any change to any of these counts as new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import duckdb

from config.settings import PROJECT_ROOT, load_settings

CODE = [("dbt_project", ("models", "macros", "seeds", "tests", "snapshots")), ("expectations", (".",))]


def code_digest() -> str:
    digest = hashlib.sha256()
    for top, folders in CODE:
        for folder in folders:
            for path in sorted((PROJECT_ROOT / top / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                    digest.update(path.read_bytes())
    digest.update((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_bytes())
    return digest.hexdigest()


def _data_state(warehouse: Path) -> dict:
    """Each raw table's row count and newest landing time (whatever wrote it: a load, an inbox file, a restore, a
    hand repair), the inbox files loaded (by content) and the months closed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            """select schema_name, table_name, list(column_name) from duckdb_columns()
               where (starts_with(schema_name, 'raw_') and schema_name <> 'raw_meta') or schema_name = 'closes'
               group by all order by 1, 2""").fetchall()
        state = {}
        for schema, table, names in columns:
            newest = "max(_loaded_at)" if "_loaded_at" in names else "null"
            state[f"{schema}.{table}"] = con.execute(
                f'select count(*), {newest} from "{schema}"."{table}"').fetchall()
        inbox = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw_meta' "
                            "and table_name = 'inbox_files'").fetchall()[0][0]
        files = con.execute("select sha256 from raw_meta.inbox_files where status = 'loaded' order by sha256"
                            ).fetchall() if inbox else []
    return {"tables": state, "files": files}


def inputs_fingerprint(warehouse: Path) -> str:
    state = {"data": _data_state(warehouse), "settings": asdict(load_settings()), "code": code_digest()}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()

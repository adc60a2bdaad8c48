"""Extract assets: one asset per raw table, landed by the connectors.

An API object that lands more than one table in a page (Zendesk tickets with
their side-loaded metrics, Jira versions with their projects) is one
multi-asset, so its tables are always materialised together.
"""


from dataclasses import asdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from config import settings
from connectors.inbox import TEMPLATES, Bounds, kpi_keys_from_catalogue, process_inbox
from orchestration import progress
from orchestration.resources import Inbox, SourceSystems, Warehouse

# A run tagged northstar/since=YYYY-MM-DD is a backfill (`northstar refresh --since`, or the tag set in the Dagster
# UI's launchpad): each API object is re-read from the start of that day, and dbt rebuilds only the periods that
# end on or after it.
BACKFILL_TAG = "northstar/since"

API_OBJECTS = {
    "hubspot": {"owners": ["owners"], "deals": ["deals"], "calls": ["calls"], "meetings": ["meetings"]},
    "jira": {"users": ["users"], "issues": ["issues"], "versions": ["projects", "versions"]},
    "zendesk": {"users": ["users"], "tickets": ["tickets", "ticket_metrics"],
                "satisfaction_ratings": ["satisfaction_ratings"]},
}


def raw_key(source: str, table: str) -> AssetKey:
    return AssetKey([f"raw_{source}", table])


def backfill_start(day: str) -> datetime:
    """The start of a backfill's day in the company's time zone."""
    try:
        start = date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"run tag {BACKFILL_TAG}={day!r} is not a day (YYYY-MM-DD)") from None
    return datetime.combine(start, datetime.min.time(), ZoneInfo(settings.load_settings().timezone))


def _api_asset(source: str, obj: str, tables: list[str]):
    specs = [AssetSpec(raw_key(source, t), group_name="extract", kinds={"duckdb", source},
                       description=f"Raw {source} {t}: one row per record version (append-only).")
             for t in tables]

    # No step retry: the client retries what retrying can fix (429, 5xx, timeouts) within a deadline, and a
    # step retry on top multiplied a refused connection into minutes and ended in "Exceeded max_retries".
    @multi_asset(name=f"extract_{source}__{obj}", specs=specs)
    def _extract(context: AssetExecutionContext, sources: SourceSystems, warehouse: Warehouse):
        connector = sources.connector(source)
        with warehouse.raw_store() as store:
            if context.run.tags.get(BACKFILL_TAG):
                start = backfill_start(context.run.tags[BACKFILL_TAG])
                store.set_cursor(source, obj, connector.cursor_since(obj, start))
            stats = connector.extract(store, obj, on_page=lambda r: progress.report(f"{source}.{obj}", r.rows))
        for table in tables:
            landed = stats.landed_by_table.get(f"raw_{source}.{table}", 0)
            yield MaterializeResult(asset_key=raw_key(source, table), metadata={
                "rows_landed": landed, "pages": stats.pages, "api_calls": stats.calls,
                "quarantined": stats.quarantined, "load_id": stats.load_id,
            })

    return _extract


@multi_asset(
    name="extract_inbox",
    specs=[AssetSpec(raw_key(t.source, table.name), group_name="extract", kinds={"duckdb", "file"},
                     description=f"Raw {table.name} rows from `{t.prefix}*` inbox files, one row per file row.")
           for t in TEMPLATES for table in t.tables],
)
def extract_inbox(context: AssetExecutionContext, inbox: Inbox, warehouse: Warehouse):
    """Every file waiting in the inbox: validated whole, then loaded or moved to rejected/."""
    from pathlib import Path

    keys = kpi_keys_from_catalogue(Path(inbox.kpi_catalogue))
    with warehouse.raw_store() as store:
        bounds = Bounds(**asdict(settings.load_settings().inbox))  # the same fields, from the one settings place
        results = process_inbox(store, Path(inbox.path), keys, bounds=bounds)
    landed: dict[str, int] = {}
    for r in results:
        for table, n in r.rows.items():
            landed[table] = landed.get(table, 0) + n
        if r.status == "rejected":
            context.log.warning(r.reason)
        progress.report("inbox", sum(r.rows.values()))
    files = {r.file: r.status for r in results}
    for t in TEMPLATES:
        for table in t.tables:
            yield MaterializeResult(asset_key=raw_key(t.source, table.name), metadata={
                "rows_landed": landed.get(f"raw_{t.source}.{table.name}", 0),
                "files": files,
            })


api_assets = [_api_asset(s, o, tables) for s, objs in API_OBJECTS.items() for o, tables in objs.items()]
extract_assets = [*api_assets, extract_inbox]


def api_assets_of(source: str) -> list:
    """The extract assets of one API source (``extract_<source>__<object>``)."""
    return [a for a in api_assets if a.node_def.name.startswith(f"extract_{source}__")]

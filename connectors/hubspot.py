"""HubSpot CRM v3: owners, deals, calls, meetings.

First load lists every record (``GET /crm/v3/objects/<object>``, ``paging.next.after``);
later loads use the search endpoint filtered on ``hs_lastmodifieddate >= cursor``, sorted
ascending, so the cursor can advance page by page. Search never returns archived
records and stops at 10,000 results: archived deals are swept with the list endpoint
(``archived=true``), and a long search restarts from the last timestamp it saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from connectors.base import ApiConnector, ObjectSpec, Page, parse_time

PROPERTIES = {
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hubspot_owner_id",
              "hs_lastmodifieddate", "hs_object_id"],
    "calls": ["hs_timestamp", "hs_call_title", "hs_call_direction", "hs_call_duration", "hubspot_owner_id",
              "hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    "meetings": ["hs_timestamp", "hs_meeting_title", "hs_meeting_outcome", "hubspot_owner_id", "hs_createdate",
                 "hs_lastmodifieddate", "hs_object_id"],
}
LIST_LIMIT = 100
SEARCH_LIMIT = 200
SEARCH_MAX_RESULTS = 10_000


def _updated(record: dict) -> object:
    return record["updatedAt"]


class HubSpotConnector(ApiConnector):
    source = "hubspot"
    objects = ("owners", "deals", "calls", "meetings")
    specs: ClassVar[dict[str, ObjectSpec]] = {
        name: ObjectSpec(name, lambda r: r.get("id"), _updated) for name in objects
    }

    def read_owners(self, cursor: str | None) -> Iterator[Page]:
        """Owners have no search endpoint: list active and archived ones every time (few pages)."""
        for archived in ("false", "true"):
            yield from self._list("/crm/v3/owners", {"limit": 500, "archived": archived}, "owners")

    def read_deals(self, cursor: str | None) -> Iterator[Page]:
        yield from self._incremental("deals", cursor)
        # Search never returns archived records: sweep the archived list so deleted deals are known.
        yield from self._list("/crm/v3/objects/deals", self._list_params("deals", archived=True), "deals")

    def read_calls(self, cursor: str | None) -> Iterator[Page]:
        yield from self._incremental("calls", cursor)

    def read_meetings(self, cursor: str | None) -> Iterator[Page]:
        yield from self._incremental("meetings", cursor)

    # -----------------------------------------------------------------------------------------

    def _list_params(self, obj: str, archived: bool = False) -> dict:
        return {"limit": LIST_LIMIT, "properties": ",".join(PROPERTIES[obj]), "archived": str(archived).lower()}

    def _list(self, path: str, params: dict, obj: str) -> Iterator[Page]:
        after = None
        for _ in self.client.pages():
            body = self.client.get(path, params | ({"after": after} if after else {}))
            yield Page({obj: body.get("results", [])}, None)
            after = self.client.follow((body.get("paging") or {}).get("next", {}).get("after"))
            if not after:
                return

    @classmethod
    def cursor_since(cls, obj: str, when: datetime) -> str | None:
        if obj in ("deals", "calls", "meetings"):
            return json.dumps({"mode": "search", "since": int(when.timestamp() * 1000)})
        return None

    def _incremental(self, obj: str, cursor: str | None) -> Iterator[Page]:
        state = json.loads(cursor) if cursor else {"mode": "list", "after": None, "max_ts": 0}
        if state["mode"] == "list":
            yield from self._initial_list(obj, state)
        else:
            yield from self._search(obj, state["since"])

    def _initial_list(self, obj: str, state: dict) -> Iterator[Page]:
        """Full first load; progress (``after``) is committed per page so a killed run resumes."""
        after, max_ts = state.get("after"), state.get("max_ts", 0)
        for _ in self.client.pages():
            params = self._list_params(obj) | ({"after": after} if after else {})
            body = self.client.get(f"/crm/v3/objects/{obj}", params)
            results = body.get("results", [])
            max_ts = max([max_ts, *(_ms(r) for r in results)])
            after = self.client.follow((body.get("paging") or {}).get("next", {}).get("after"))
            if after:
                yield Page({obj: results}, json.dumps({"mode": "list", "after": after, "max_ts": max_ts}))
            else:
                yield Page({obj: results}, json.dumps({"mode": "search", "since": max_ts}))
                return

    def _search(self, obj: str, since: int) -> Iterator[Page]:
        after = None
        for _ in self.client.pages():
            body = self.client.post(f"/crm/v3/objects/{obj}/search", {
                "filterGroups": [{"filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since)}]}],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": PROPERTIES[obj], "limit": SEARCH_LIMIT, **({"after": after} if after else {}),
            })
            results = body.get("results", [])
            # Results come oldest first, so everything up to this page's newest change is landed.
            page_since = max([since, *(_ms(r) for r in results)])
            yield Page({obj: results}, json.dumps({"mode": "search", "since": page_since}))
            after = self.client.follow((body.get("paging") or {}).get("next", {}).get("after"))
            if not after:
                return
            if int(after) >= SEARCH_MAX_RESULTS:  # HubSpot stops at 10k: search again from here
                since, after = page_since, None


def _ms(record: dict) -> int:
    try:
        return int(parse_time(record.get("updatedAt")).timestamp() * 1000)
    except (ValueError, TypeError):
        return 0

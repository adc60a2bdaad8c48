"""Zendesk Support: incremental ticket and user exports, ticket metrics, satisfaction ratings.

The cursor exports (``/api/v2/incremental/<object>/cursor.json``) are read until
``end_of_stream``: ``after_cursor`` is set even on the last page, so a generic
"follow the cursor" paginator would never stop. Ticket metrics are side-loaded
(``include=metric_sets``) and landed in the same transaction as their tickets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from connectors.base import ApiConnector, ObjectSpec, Page, parse_time

EXPORT_PAGE = 1000
RATINGS_PAGE = 100


def _updated(record: dict) -> object:
    return record["updated_at"]


class ZendeskConnector(ApiConnector):
    source = "zendesk"
    objects = ("users", "tickets", "satisfaction_ratings")
    specs: ClassVar[dict[str, ObjectSpec]] = {
        "users": ObjectSpec("users", lambda r: r.get("id"), _updated),
        "tickets": ObjectSpec("tickets", lambda r: r.get("id"), _updated),
        "ticket_metrics": ObjectSpec("ticket_metrics", lambda r: r.get("id"), _updated),
        "satisfaction_ratings": ObjectSpec("satisfaction_ratings", lambda r: r.get("id"), _updated),
    }

    def read_tickets(self, cursor: str | None) -> Iterator[Page]:
        yield from self._export("tickets", cursor, {"include": "metric_sets"})

    def read_users(self, cursor: str | None) -> Iterator[Page]:
        yield from self._export("users", cursor, {})

    @classmethod
    def cursor_since(cls, obj: str, when: datetime) -> str | None:
        seconds = int(when.timestamp())
        if obj in ("tickets", "users"):
            return json.dumps({"start_time": seconds})  # an export restarts from a time, not from a cursor
        return json.dumps({"since": seconds}) if obj == "satisfaction_ratings" else None

    def _export(self, obj: str, cursor: str | None, extra: dict) -> Iterator[Page]:
        params = {"per_page": EXPORT_PAGE, **extra}
        position = {"cursor": cursor} if cursor else {"start_time": 0}
        if cursor and cursor.startswith("{"):  # a backfill's starting time (Zendesk's own cursors are opaque tokens)
            position = {"start_time": json.loads(cursor)["start_time"]}
        for _ in self.client.pages():
            body = self.client.get(f"/api/v2/incremental/{obj}/cursor.json", params | position)
            records = {obj: body.get(obj, [])}
            if "metric_sets" in body:
                records["ticket_metrics"] = body["metric_sets"]
            after = self.client.follow(body.get("after_cursor"))
            yield Page(records, after)
            if body.get("end_of_stream", True) or not after:
                return
            position = {"cursor": after}

    def read_satisfaction_ratings(self, cursor: str | None) -> Iterator[Page]:
        """Ratings since the newest one seen (seconds, inclusive); the cursor moves once the stream ends."""
        since = json.loads(cursor)["since"] if cursor else 0
        newest, after = since, None
        for _ in self.client.pages():
            params = {"start_time": since, "page[size]": RATINGS_PAGE} | ({"page[after]": after} if after else {})
            body = self.client.get("/api/v2/satisfaction_ratings", params)
            ratings = body.get("satisfaction_ratings", [])
            newest = max([newest, *(_seconds(r) for r in ratings)])
            meta = body.get("meta") or {}
            done = not meta.get("has_more")
            yield Page({"satisfaction_ratings": ratings}, json.dumps({"since": newest}) if done else cursor)
            after = self.client.follow(meta.get("after_cursor"))
            if done or not after:
                return


def _seconds(record: dict) -> int:
    try:
        return int(parse_time(record.get("updated_at")).timestamp())
    except (TypeError, ValueError):
        return 0

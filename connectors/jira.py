"""Jira Cloud REST v3: users, issues (with changelog), projects and their versions.

Issues come from ``/rest/api/3/search/jql`` (``nextPageToken``, ``isLast``; the old
``/search`` is gone) with ``updated >= "yyyy-MM-dd HH:mm" ORDER BY updated ASC``.
JQL dates have minute precision in the Jira user's time zone, so each run
re-reads the boundary minute; already-landed versions are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from connectors.base import ApiConnector, ObjectSpec, Page, parse_time
from connectors.http import ApiClient

ISSUE_FIELDS = ["summary", "status", "assignee", "reporter", "created", "updated", "duedate", "resolutiondate",
                "issuetype", "project", "fixVersions", "priority"]
PAGE_SIZE = 100
USERS_PAGE = 1000


class JiraConnector(ApiConnector):
    source = "jira"
    objects = ("users", "issues", "versions")
    specs: ClassVar[dict[str, ObjectSpec]] = {
        "users": ObjectSpec("users", lambda r: r.get("accountId")),
        "issues": ObjectSpec("issues", lambda r: r.get("id"), lambda r: r["fields"]["updated"]),
        "projects": ObjectSpec("projects", lambda r: r.get("id")),
        "versions": ObjectSpec("versions", lambda r: r.get("id")),
    }

    def __init__(self, client: ApiClient, timezone: str = "Asia/Shanghai",
                 story_points_field: str = "customfield_10016") -> None:
        super().__init__(client)
        self.tz = ZoneInfo(timezone)
        self.story_points_field = story_points_field

    def read_users(self, cursor: str | None) -> Iterator[Page]:
        start = 0
        for _ in self.client.pages():
            users = self.client.get("/rest/api/3/users/search", {"startAt": start, "maxResults": USERS_PAGE},
                                    expect=list)
            yield Page({"users": users}, None)
            if len(users) < USERS_PAGE:
                return
            start += len(users)

    def read_versions(self, cursor: str | None) -> Iterator[Page]:
        """Projects, then each project's versions (Jira has no cross-project version list)."""
        projects, start = [], 0
        for _ in self.client.pages():
            body = self.client.get("/rest/api/3/project/search", {"startAt": start, "maxResults": 50})
            projects += body.get("values", [])
            yield Page({"projects": body.get("values", [])}, None)
            if body.get("isLast", True):
                break
            start += len(body.get("values", []))
        for project in projects:
            start = 0
            for _ in self.client.pages():
                body = self.client.get(f"/rest/api/3/project/{project['id']}/version",
                                       {"startAt": start, "maxResults": 50})
                yield Page({"versions": body.get("values", [])}, None)
                if body.get("isLast", True):
                    break
                start += len(body.get("values", []))

    @classmethod
    def cursor_since(cls, obj: str, when: datetime) -> str | None:
        return json.dumps({"updated_ms": int(when.timestamp() * 1000)}) if obj == "issues" else None

    def read_issues(self, cursor: str | None) -> Iterator[Page]:
        since_ms = json.loads(cursor)["updated_ms"] if cursor else 0
        jql = f'updated >= "{self._jql_time(since_ms)}" ORDER BY updated ASC'
        token = None
        for _ in self.client.pages():
            params = {"jql": jql, "maxResults": PAGE_SIZE, "expand": "changelog",
                      "fields": ",".join([*ISSUE_FIELDS, self.story_points_field])}
            if token:
                params["nextPageToken"] = token
            body = self.client.get("/rest/api/3/search/jql", params)
            issues = body.get("issues", [])
            since_ms = max([since_ms, *(_updated_ms(i) for i in issues)])
            yield Page({"issues": issues}, json.dumps({"updated_ms": since_ms}))
            token = self.client.follow(body.get("nextPageToken"))
            if body.get("isLast", token is None) or not token:
                return

    def _jql_time(self, ms: int) -> str:
        """JQL takes minutes in the user's zone: floor to the minute (the boundary is re-read)."""
        if ms <= 0:
            return "1970-01-01 00:00"
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")


def _updated_ms(issue: dict) -> int:
    try:
        return int(parse_time(issue["fields"]["updated"]).timestamp() * 1000)
    except (KeyError, TypeError, ValueError):
        return 0

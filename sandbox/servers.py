"""Loopback HTTP servers that speak the HubSpot, Jira and Zendesk dialects.

They serve what the generator stored, as visible at the sandbox clock, with the
vendors' paths, field names, pagination, cursors and auth schemes, so the
connectors cannot tell them from a real tenant. ``Faults`` switches on the
failures a real API produces (429 with Retry-After, 5xx bursts, slow answers,
truncated JSON, a repeated page, an added and a removed field).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import orjson

from sandbox.generator import load_state
from sandbox.views import View

SANDBOX_TOKENS = {
    "hubspot_token": "sandbox-hubspot-token",
    "jira_email": "sandbox@northstar-demo.com",
    "jira_token": "sandbox-jira-token",
    "zendesk_email": "sandbox@northstar-demo.com",
    "zendesk_token": "sandbox-zendesk-token",
}
HUBSPOT_DEFAULT_PROPERTIES = {"hs_object_id", "createdate", "hs_lastmodifieddate"}
HUBSPOT_SEARCH_LIMIT = 10_000  # HubSpot's search cannot page past 10k results


@dataclass
class Faults:
    """Fault switches; each fires on a fixed request number per endpoint, so runs repeat."""

    rate_limit: bool = False  # 429 with Retry-After
    server_errors: bool = False  # a burst of two 503s
    slow: bool = False  # an answer slower than the client's timeout
    truncated: bool = False  # the body cut in half
    duplicate_page: bool = False  # one page served twice
    schema_drift: bool = False  # a field added and a field removed on every record
    bad_record: bool = False  # one record per object that cannot be parsed
    retry_after_seconds: int = 1
    slow_seconds: float = 2.5
    # with rate_limit on, each API also allows this many calls per window, and says so on every answer in its
    # vendor's headers (the clients pace themselves by them); a call over it gets 429
    calls_per_window: int = 200  # a burst the fault tests rarely reach: pacing is tested with a small window
    window_seconds: float = 1.0

    @classmethod
    def all_on(cls, **overrides: object) -> Faults:
        flags = {f.name: True for f in fields(cls) if f.type == "bool" and f.name != "bad_record"}
        return cls(**(flags | overrides))

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``"all"`` or a comma list of switch names, e.g. ``"rate_limit,truncated"``."""
        names = {f.name for f in fields(cls) if f.type == "bool"}
        if spec.strip() == "all":
            return cls.all_on()
        chosen = {s.strip() for s in spec.split(",") if s.strip()}
        unknown = chosen - names
        if unknown:
            raise ValueError(f"unknown fault switch(es) {sorted(unknown)}; known: {sorted(names)}")
        return cls(**dict.fromkeys(chosen, True))


@dataclass
class SandboxData:
    clock_ms: int
    clocks: dict[str, int] = field(default_factory=dict)  # per system: a frozen (stale) source lags behind
    views: dict[str, View] = field(default_factory=dict)
    projects: list[dict] = field(default_factory=list)
    _versions_by_project: dict[str, list[dict]] | None = None
    _index_lock: threading.Lock = field(default_factory=threading.Lock)

    def versions_of(self, project_id: str) -> list[dict]:
        """A Jira project's versions, by id: indexed once (parsing every version per project call was quadratic
        in the large company's 1,000+ projects)."""
        with self._index_lock:
            if self._versions_by_project is None:
                view = self.views["jira.versions"]
                index: dict[str, list[dict]] = {}
                for record in view.records(0, len(view)):
                    index.setdefault(str(record["projectId"]), []).append(record)
                for rows in index.values():
                    rows.sort(key=lambda r: r["id"])
                self._versions_by_project = index
        return self._versions_by_project.get(project_id, [])

    @classmethod
    def load(cls, sandbox: Path) -> SandboxData:
        state = load_state(sandbox)
        data = cls(state.clock_ms())
        for path in sorted(sandbox.glob("*/*.parquet")):
            system = path.parent.name
            data.clocks[system] = min(data.clock_ms, state.frozen.get(system, data.clock_ms))
            key = "ticket_id" if path.stem == "ticket_metrics" else None  # a ticket's metric set, by ticket
            data.views[f"{system}.{path.stem}"] = View.at(path, data.clocks[system], key_field=key)
        data.projects = json.loads((sandbox / "jira" / "projects.json").read_text())
        return data


class FaultyHandler(BaseHTTPRequestHandler):
    """Shared plumbing: auth, fault injection, JSON answers, call counting."""

    data: SandboxData
    faults: Faults
    counters: Counter
    lock: threading.Lock
    window: list  # the rate-limit window: [start (monotonic), calls in it]
    system: str = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet; the client logs its own calls

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = {}
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        if not self._authorised():
            return self._send(401, {"message": "missing or invalid credentials"})
        endpoint = re.sub(r"/\d+|/[A-Z]+(?=/version)", "/{id}", url.path)
        with self.lock:
            self.counters[endpoint] += 1
            self.counters["_total"] += 1
            n = self.counters[endpoint]
        quota = self._quota() if self.faults.rate_limit else {}
        if quota.get("_over"):
            return self._send(429, {"message": "rate limit"}, quota["headers"])
        if self._inject_status_fault(n):
            return
        try:
            status, payload = self.route(method, url.path, query, body)
        except ValueError as exc:
            status, payload = 400, {"message": str(exc)}
        text = payload if isinstance(payload, str) else orjson.dumps(payload).decode()  # fast on big pages
        if self.faults.slow and n == 6:
            time.sleep(self.faults.slow_seconds)
        if self.faults.truncated and n == 5:
            text = text[: len(text) // 2]
        self._send(status, text, quota.get("headers"))

    def _quota(self) -> dict:
        """Count this call in the API's fixed window; the vendor's rate-limit headers, and whether it is over."""
        now = time.monotonic()
        with self.lock:
            window = self.window  # [start, calls]
            if now - window[0] >= self.faults.window_seconds:
                window[:] = [now, 0]
            window[1] += 1
            remaining = self.faults.calls_per_window - window[1]
            reset = self.faults.window_seconds - (now - window[0])
            if remaining < 0:
                self.counters["_over_quota"] += 1
        headers = self.quota_headers(max(remaining, 0), reset)
        if remaining < 0:
            headers["Retry-After"] = str(max(1, round(reset)))
        return {"headers": headers, "_over": remaining < 0}

    def quota_headers(self, remaining: int, reset_seconds: float) -> dict[str, str]:
        raise NotImplementedError

    def _inject_status_fault(self, n: int) -> bool:
        if self.faults.rate_limit and n == 2:
            self._send(429, {"message": "rate limit"}, {"Retry-After": str(self.faults.retry_after_seconds)})
            return True
        if self.faults.server_errors and n in (3, 4):
            self._send(503, {"message": "service unavailable"})
            return True
        return False

    def _send(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        text = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); that is the point of the slow fault

    def _authorised(self) -> bool:
        raise NotImplementedError

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        raise NotImplementedError

    # helpers shared by the dialects -----------------------------------------------------------

    def drift(self, record: dict, container: str | None, removed: str) -> dict:
        """Schema drift: one field added, one field removed."""
        if not self.faults.schema_drift:
            return record
        target = record.get(container, record) if container else record
        target.pop(removed, None)
        target["x_northstar_added_field"] = "added by the vendor"
        return record

    def maybe_break(self, record: dict, index: int, id_key: str) -> dict:
        """The bad-record fault: the first record of a page loses its id."""
        if self.faults.bad_record and index == 0:
            record = dict(record)
            record[id_key] = None
        return record


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()


def _unb64(token: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"invalid page token {token!r}") from exc


# --------------------------------------------------------------------------- HubSpot


class HubSpotHandler(FaultyHandler):
    system = "hubspot"

    def quota_headers(self, remaining: int, reset_seconds: float) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Max": str(self.faults.calls_per_window),
                "X-HubSpot-RateLimit-Remaining": str(remaining),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.faults.window_seconds * 1000))}

    def _authorised(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {SANDBOX_TOKENS['hubspot_token']}"

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        if path == "/crm/v3/owners" or path == "/crm/v3/owners/":
            return 200, self._list("owners", query, owners=True)
        m = re.fullmatch(r"/crm/v3/objects/(deals|calls|meetings)(/search)?", path)
        if not m:
            return 404, {"message": f"no route {path}"}
        obj = m.group(1)
        if m.group(2) and method == "POST":
            return 200, self._search(obj, body)
        return 200, self._list(obj, query)

    def _shape(self, record: dict, props: set[str] | None) -> dict:
        if props is not None:
            keep = props | HUBSPOT_DEFAULT_PROPERTIES
            record["properties"] = {k: v for k, v in record["properties"].items() if k in keep}
        return self.drift(record, "properties", "pipeline" if "pipeline" in record.get("properties", {})
                          else "hs_createdate")

    def _list(self, obj: str, query: dict, owners: bool = False) -> dict:
        view = self.data.views[f"hubspot.{obj}"]
        limit = min(int(query.get("limit", 10)), 100 if not owners else 500)
        archived = query.get("archived", "false") == "true"
        props = set(query["properties"].split(",")) if query.get("properties") else set()
        offset = int(query.get("after") or 0)
        matching = view.archived if archived else view.active
        offset, next_after = self._maybe_repeat(offset, limit)
        page = matching[offset : offset + limit]
        results = []
        for n, i in enumerate(page):
            record = orjson.loads(view.payload(i))
            record = self._shape(record, props) if not owners else self.drift(record, None, "userId")
            results.append(self.maybe_break(record, n, "id") if offset == 0 else record)
        body: dict = {"results": results}
        if next_after < len(matching):
            body["paging"] = {"next": {"after": str(next_after), "link": f"?after={next_after}"}}
        return body

    def _maybe_repeat(self, offset: int, limit: int) -> tuple[int, int]:
        """(offset to serve, next ``after``); the repeated-page fault serves page 1 again once."""
        if self.faults.duplicate_page and offset == limit:
            with self.lock:
                first = self.counters["_repeated_page"] == 0
                self.counters["_repeated_page"] += 1
            if first:
                return 0, offset
        return offset, offset + limit

    def _search(self, obj: str, body: dict) -> dict:
        view = self.data.views[f"hubspot.{obj}"]
        limit = min(int(body.get("limit", 10)), 200)
        offset = int(body.get("after") or 0)
        if offset >= HUBSPOT_SEARCH_LIMIT:
            raise ValueError("search results are limited to 10,000; narrow the filter")
        since = 0
        for group in body.get("filterGroups", []):
            for f in group.get("filters", []):
                if f.get("propertyName") == "hs_lastmodifieddate" and f.get("operator") in ("GTE", "GT"):
                    since = int(f["value"]) + (1 if f["operator"] == "GT" else 0)
        props = set(body.get("properties") or [])
        start = view.first_at_or_after(since)
        first = bisect_left(view.active, start)  # active records changed since the filter's time
        total = len(view.active) - first
        offset, next_after = self._maybe_repeat(offset, limit)
        page = view.active[first + offset : first + offset + limit]
        results = [self._shape(orjson.loads(view.payload(i)), props or None) for i in page]
        out: dict = {"total": total, "results": results}
        if next_after < total:
            out["paging"] = {"next": {"after": str(next_after)}}
        return out


# --------------------------------------------------------------------------- Jira


JQL_UPDATED = re.compile(r'updated\s*>=\s*"?(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)"?', re.I)


class JiraHandler(FaultyHandler):
    system = "jira"
    tz = ZoneInfo("Asia/Shanghai")  # the sandbox user's Jira time zone

    def quota_headers(self, remaining: int, reset_seconds: float) -> dict[str, str]:
        reset_at = datetime.now(UTC) + timedelta(seconds=reset_seconds)
        return {"X-RateLimit-Limit": str(self.faults.calls_per_window), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": reset_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")}

    def _authorised(self) -> bool:
        expected = base64.b64encode(f"{SANDBOX_TOKENS['jira_email']}:{SANDBOX_TOKENS['jira_token']}".encode())
        return self.headers.get("Authorization") == f"Basic {expected.decode()}"

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        if path == "/rest/api/3/users/search":
            return 200, self._users(query)
        if path == "/rest/api/3/project/search":
            return 200, self._projects(query)
        m = re.fullmatch(r"/rest/api/3/project/([^/]+)/version", path)
        if m:
            return 200, self._versions(m.group(1), query)
        if path == "/rest/api/3/search/jql":
            return 200, self._search(body if method == "POST" else query)
        if path == "/rest/api/3/search":
            return 410, {"errorMessages": ["The requested API has been removed. Use /rest/api/3/search/jql."]}
        return 404, {"errorMessages": [f"no route {path}"]}

    def _users(self, query: dict) -> list[dict]:
        view = self.data.views["jira.users"]
        start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 50)), 1000)
        return [self.drift(r, None, "timeZone") for r in view.records(start, start + size)]

    def _projects(self, query: dict) -> dict:
        start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 50)), 100)
        values = [{k: v for k, v in p.items() if k != "team"} for p in self.data.projects[start : start + size]]
        is_last = start + size >= len(self.data.projects)
        return {"startAt": start, "maxResults": size, "total": len(self.data.projects), "isLast": is_last,
                "values": values}

    def _versions(self, key: str, query: dict) -> dict:
        project = next((p for p in self.data.projects if key in (p["key"], p["id"])), None)
        if project is None:
            raise ValueError(f"no project {key}")
        rows = self.data.versions_of(project["id"])
        start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 50)), 50)
        page = [self.drift(dict(r), None, "overdue") for r in rows[start : start + size]]  # a copy: drift edits
        return {"startAt": start, "maxResults": size, "total": len(rows), "isLast": start + size >= len(rows),
                "values": page}

    def _search(self, params: dict) -> dict:
        view = self.data.views["jira.issues"]
        jql = params.get("jql", "")
        size = min(int(params.get("maxResults", 50)), 100)
        since = 0
        m = JQL_UPDATED.search(jql)
        if m:
            text = m.group(1) if " " in m.group(1) else m.group(1) + " 00:00"
            since = int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=self.tz).timestamp() * 1000)
        token = params.get("nextPageToken")
        state = _unb64(token) if token else {"o": view.first_at_or_after(since), "d": False}
        offset = state["o"]
        dup_now = self.faults.duplicate_page and not state["d"] and token is not None
        issues = []
        for n, record in enumerate(view.records(offset, offset + size)):
            if "changelog" not in (params.get("expand") or ""):
                record.pop("changelog", None)
            record = self.drift(record, "fields", "priority")
            issues.append(self.maybe_break(record, n, "id") if token is None else record)
        nxt = offset + size
        out: dict = {"issues": issues, "isLast": nxt >= len(view)}
        if dup_now:  # serve this page again on the next request: a repeated page
            out["nextPageToken"] = _b64({"o": offset, "d": True})
            out["isLast"] = False
        elif nxt < len(view):
            out["nextPageToken"] = _b64({"o": nxt, "d": state["d"]})
        return out


# --------------------------------------------------------------------------- Zendesk


class ZendeskHandler(FaultyHandler):
    system = "zendesk"
    export_delay_ms = 60_000  # changes of the last minute are not exported yet

    def quota_headers(self, remaining: int, reset_seconds: float) -> dict[str, str]:
        return {"ratelimit-limit": str(self.faults.calls_per_window), "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(max(1, round(reset_seconds))),
                "x-rate-limit": str(self.faults.calls_per_window), "x-rate-limit-remaining": str(remaining)}

    def _authorised(self) -> bool:
        user = f"{SANDBOX_TOKENS['zendesk_email']}/token:{SANDBOX_TOKENS['zendesk_token']}"
        return self.headers.get("Authorization") == f"Basic {base64.b64encode(user.encode()).decode()}"

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        m = re.fullmatch(r"/api/v2/incremental/(tickets|users)/cursor\.json", path)
        if m:
            return 200, self._export(m.group(1), query)
        if path in ("/api/v2/satisfaction_ratings", "/api/v2/satisfaction_ratings.json"):
            return 200, self._ratings(query)
        return 404, {"error": "InvalidEndpoint", "description": f"no route {path}"}

    def _export(self, obj: str, query: dict) -> dict:
        view = self.data.views[f"zendesk.{obj}"]
        size = min(int(query.get("per_page", 1000)), 1000)
        horizon = self.data.clocks["zendesk"] - self.export_delay_ms
        if query.get("cursor"):
            cur = _unb64(query["cursor"])
            ts, last_id, dup = cur["t"], cur["i"], cur.get("d", False)
            start = view.first_at_or_after(ts)
            while start < len(view.ts) and view.ts[start] == ts and int(view.id(start)) <= int(last_id):
                start += 1
            first_page = False
        elif "start_time" in query:
            start, dup, first_page = view.first_at_or_after(int(query["start_time"]) * 1000), False, True
        else:
            raise ValueError("start_time or cursor is required")
        stop = start
        while stop < len(view.ts) and stop - start < size and view.ts[stop] <= horizon:
            stop += 1
        records = view.records(start, stop)
        removed = {"tickets": "tags", "users": "active"}[obj]
        records = [self.drift(r, None, removed) for r in records]
        if first_page:
            records = [self.maybe_break(r, n, "id") for n, r in enumerate(records)]
        out: dict = {obj: records, "count": len(records)}
        if obj == "tickets" and "metric_sets" in (query.get("include") or ""):
            metrics = self.data.views["zendesk.ticket_metrics"]
            found = (metrics.by_key(t) for t in sorted({r["id"] for r in records if r.get("id") is not None}))
            out["metric_sets"] = [orjson.loads(m) for m in found if m is not None]
        if stop > start:
            cursor = {"t": view.ts[stop - 1], "i": view.id(stop - 1)}
        elif query.get("cursor"):
            cursor = _unb64(query["cursor"])
        else:
            cursor = {"t": int(query["start_time"]) * 1000 - 1, "i": "0"}
        if self.faults.duplicate_page and stop > start and not dup and not first_page:
            # Point the next cursor at this page again, once: the client sees a repeated page.
            cursor = _unb64(query["cursor"]) | {"d": True}
        else:
            cursor["d"] = dup
        end = stop >= len(view.ts) or view.ts[stop] > horizon
        if cursor.get("d") and not dup:
            end = False
        out |= {"after_cursor": _b64(cursor), "before_cursor": None, "end_of_stream": end,
                "after_url": f"{path_for(obj)}?cursor={_b64(cursor)}"}
        return out

    def _ratings(self, query: dict) -> dict:
        view = self.data.views["zendesk.satisfaction_ratings"]
        size = min(int(query.get("page[size]", 100)), 100)
        start = view.first_at_or_after(int(query.get("start_time", 0)) * 1000)
        if query.get("page[after]"):
            start = _unb64(query["page[after]"])["o"]
        stop = min(start + size, len(view))
        records = [self.drift(r, None, "comment") for r in view.records(start, stop)]
        has_more = stop < len(view)
        after = _b64({"o": stop}) if has_more else None
        return {"satisfaction_ratings": records, "meta": {"has_more": has_more, "after_cursor": after,
                                                          "before_cursor": None},
                "links": {"next": f"/api/v2/satisfaction_ratings?page[after]={after}" if after else None,
                          "prev": None}}


def path_for(obj: str) -> str:
    return f"/api/v2/incremental/{obj}/cursor.json"


# --------------------------------------------------------------------------- running them


@dataclass
class RunningSandbox:
    urls: dict[str, str]
    counters: dict[str, Counter]

    def calls(self, system: str | None = None) -> int:
        systems = [system] if system else list(self.counters)
        return sum(self.counters[s]["_total"] for s in systems)


HANDLERS: dict[str, type[FaultyHandler]] = {
    "hubspot": HubSpotHandler, "jira": JiraHandler, "zendesk": ZendeskHandler,
}


@contextmanager
def serve_sandbox(sandbox: Path, faults: Faults | None = None) -> Iterator[RunningSandbox]:
    """Start the three source servers on free loopback ports for the length of the block."""
    data = SandboxData.load(sandbox)
    faults = faults or Faults()
    servers, urls, counters = [], {}, {}
    try:
        for system, base in HANDLERS.items():
            counter: Counter = Counter()
            handler = type(f"{base.__name__}Bound", (base,), {
                "data": data, "faults": faults, "counters": counter, "lock": threading.Lock(),
                "window": [time.monotonic(), 0],
            })
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, name=f"sandbox-{system}", daemon=True).start()
            servers.append(server)
            urls[system] = f"http://127.0.0.1:{server.server_address[1]}"
            counters[system] = counter
        yield RunningSandbox(urls, counters)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox.servers SANDBOX_DIR``: serve from a process of its own, so that a benchmark measures
    the pipeline's memory without the sandbox's (which holds every record). Prints the URLs as one JSON line,
    then serves until its standard input is closed."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m sandbox.servers SANDBOX_DIR")
    with serve_sandbox(Path(args[0])) as running:
        print(json.dumps(running.urls), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()

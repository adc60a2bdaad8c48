"""A small HTTP client every API connector shares: retries, Retry-After, bounded loops.

Why our own rather than a generic REST source: each page must be committed
together with its cursor (see ``landing.py``), and Zendesk's export must stop
on ``end_of_stream`` rather than on a missing cursor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

import orjson
import requests

log = logging.getLogger("northstar.connectors")
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_TOKEN_REPEATS = 2  # a page token asked for twice is a glitch (re-read, versions skipped); a third time, a loop


class SourceError(RuntimeError):
    """A source answered in a way no retry can fix; names the source, object, request and cause."""


@dataclass(frozen=True)
class HttpPolicy:
    timeout_seconds: float = 10.0
    max_retries: int = 6
    backoff_seconds: float = 0.5
    max_pages: int = 100_000
    max_retry_after_seconds: float = 120.0
    deadline_seconds: float = 600.0  # total time one object may spend waiting to retry


def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _unreachable(exc: requests.ConnectionError) -> str | None:
    """'connection refused' / 'cannot resolve': a wrong URL or a service that is down; retrying won't help soon."""
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename nor servname" in text:
        return "host name cannot be resolved"
    return None


@dataclass
class ApiClient:
    """One authenticated API; counts the calls it makes so refreshes can report them."""

    source: str
    base_url: str
    auth_header: str
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    calls: int = 0
    retries: int = 0
    obj: str = ""  # the object being extracted, for messages
    _deadline: float = float("inf")
    _tokens: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Authorization": self.auth_header, "Accept": "application/json"})

    def start_object(self, obj: str) -> None:
        """A new object: its own retry deadline and its own record of page tokens."""
        self.obj = obj
        self._deadline = time.monotonic() + self.policy.deadline_seconds
        self._tokens = Counter()

    @property
    def where(self) -> str:
        return f"{self.source}.{self.obj}" if self.obj else self.source

    def get(self, path: str, params: dict | None = None, expect: type = dict) -> dict | list:
        return self.request("GET", path, params=params, expect=expect)

    def post(self, path: str, body: dict, expect: type = dict) -> dict | list:
        return self.request("POST", path, body=body, expect=expect)

    def request(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
                expect: type = dict) -> dict | list:
        """The JSON answer (of type ``expect``); retries what retrying can fix, fails at once on the rest."""
        url = self.base_url.rstrip("/") + path
        endpoint = f"{method} {path}"
        problem = ""
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                self.retries += 1
            self.calls += 1
            try:
                response = self.session.request(method, url, params=params, json=body,
                                                timeout=self.policy.timeout_seconds)
            except requests.ConnectionError as exc:
                reason = _unreachable(exc)
                if reason:
                    parts = urlsplit(url)
                    raise SourceError(f"{self.where}: {endpoint}: {reason} to {parts.hostname}:{parts.port or ''} "
                                      "(is the URL right and the service up?)") from exc
                problem = f"connection failed ({type(exc).__name__})"
                self._sleep(attempt, None, problem, endpoint)
                continue
            except requests.Timeout:
                problem = f"no answer within {self.policy.timeout_seconds:g}s"
                self._sleep(attempt, None, problem, endpoint)
                continue
            if response.status_code in RETRY_STATUSES:
                problem = _status(response.status_code)
                self._sleep(attempt, response.headers.get("Retry-After"), problem, endpoint)
                continue
            if response.status_code >= 400:  # 401, 403, 404, 400...: the request or its credentials are wrong
                hint = {401: " (check the token)", 403: " (the token lacks a permission)",
                        404: " (check the URL)"}.get(response.status_code, "")
                said = " ".join(response.text[:200].split())
                raise SourceError(f"{self.where}: {endpoint} answered {_status(response.status_code)}{hint}"
                                  + (f": {said}" if said and not _is_html(response) else ""))
            if _is_html(response):
                raise SourceError(f"{self.where}: {endpoint} answered HTML instead of JSON "
                                  f"({_status(response.status_code)}; a login page or proxy in the way?)")
            try:
                answer = _parse_json(response.content)
            except ValueError:
                problem = "unreadable JSON"  # a truncated body: ask again
                self._sleep(attempt, None, problem, endpoint)
                continue
            if not isinstance(answer, expect):
                raise SourceError(f"{self.where}: {endpoint} answered a JSON {type(answer).__name__} where "
                                  f"a JSON {'object' if expect is dict else 'list'} was expected")
            return answer
        raise SourceError(f"{self.where}: {endpoint} failed after {self.policy.max_retries} retries: {problem}")

    def _sleep(self, attempt: int, retry_after: str | None, problem: str, endpoint: str) -> None:
        delay = self.policy.backoff_seconds * (2**attempt)
        if retry_after is not None:
            # An HTTP-date Retry-After is not parsed: the backoff stands.
            with contextlib.suppress(ValueError):
                delay = min(float(retry_after), self.policy.max_retry_after_seconds)
        if time.monotonic() + delay > self._deadline:
            raise SourceError(f"{self.where}: {endpoint}: {problem}; gave up at the "
                              f"{self.policy.deadline_seconds:g}s deadline per object (http.deadline_seconds)")
        log.info("%s: %s %s, retrying in %.1fs", self.where, endpoint, problem, delay)
        time.sleep(delay)

    def pages(self) -> Iterator[int]:
        """The bound on every pagination loop: reaching it fails the object (no silently cut-off data)."""
        yield from range(self.policy.max_pages)
        raise SourceError(f"{self.where}: stopped at http.max_pages = {self.policy.max_pages} pages with more "
                          "to read: raise the setting (the pages read so far are kept)")

    def follow(self, token: object) -> object:
        """The next page token, unless the server keeps handing back one it gave already (a loop)."""
        if token:
            self._tokens[token] += 1
            if self._tokens[token] > MAX_TOKEN_REPEATS:
                raise SourceError(f"{self.where}: the server repeated the page token {str(token)[:40]!r} "
                                  f"{self._tokens[token]} times: stopped rather than loop (pages read are kept)")
        return token


def _parse_json(body: bytes) -> object:
    """orjson (several times faster on big pages); the standard parser for what orjson refuses but JSON
    readers accept (integers beyond 64 bits, NaN), so a valid page is never retried as unreadable."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _is_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind or response.content[:20].lstrip().lower().startswith((b"<!doctype", b"<html"))

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
from dataclasses import dataclass, field

import requests

log = logging.getLogger("northstar.connectors")
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SourceError(RuntimeError):
    """A source answered in a way no retry can fix; names the source and the request."""


@dataclass(frozen=True)
class HttpPolicy:
    timeout_seconds: float = 10.0
    max_retries: int = 6
    backoff_seconds: float = 0.5
    max_pages: int = 100_000
    max_retry_after_seconds: float = 120.0


@dataclass
class ApiClient:
    """One authenticated API; counts the calls it makes so refreshes can report them."""

    source: str
    base_url: str
    auth_header: str
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    calls: int = 0
    retries: int = 0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Authorization": self.auth_header, "Accept": "application/json"})

    def get(self, path: str, params: dict | None = None) -> dict | list:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict) -> dict | list:
        return self.request("POST", path, body=body)

    def request(self, method: str, path: str, params: dict | None = None, body: dict | None = None) -> dict | list:
        url = self.base_url.rstrip("/") + path
        problem = ""
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                self.retries += 1
            self.calls += 1
            try:
                response = self.session.request(method, url, params=params, json=body,
                                                timeout=self.policy.timeout_seconds)
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                self._sleep(attempt, None, problem)
                continue
            if response.status_code in RETRY_STATUSES:
                problem = f"HTTP {response.status_code}"
                self._sleep(attempt, response.headers.get("Retry-After"), problem)
                continue
            if response.status_code >= 400:
                raise SourceError(f"{self.source}: {method} {path} {params or ''} answered "
                                  f"HTTP {response.status_code}: {response.text[:300]}")
            try:
                return response.json()
            except (json.JSONDecodeError, requests.JSONDecodeError) as exc:
                problem = f"unreadable JSON ({exc})"  # truncated body: ask again
                self._sleep(attempt, None, problem)
        raise SourceError(f"{self.source}: {method} {path} failed after {self.policy.max_retries} retries: {problem}")

    def _sleep(self, attempt: int, retry_after: str | None, problem: str) -> None:
        delay = self.policy.backoff_seconds * (2**attempt)
        if retry_after is not None:
            # An HTTP-date Retry-After is not parsed: the backoff stands.
            with contextlib.suppress(ValueError):
                delay = min(float(retry_after), self.policy.max_retry_after_seconds)
        log.info("%s: %s, retrying in %.1fs", self.source, problem, delay)
        time.sleep(delay)

    def pages(self) -> range:
        """The bound on every pagination loop."""
        return range(self.policy.max_pages)

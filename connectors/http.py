"""A small HTTP client every API connector shares: retries, Retry-After, bounded loops.

Why our own rather than a generic REST source: each page must be committed
together with its cursor (see ``landing.py``), and Zendesk's export must stop
on ``end_of_stream`` rather than on a missing cursor.

Why urllib3 rather than requests: a first load is tens of thousands of calls
(HubSpot lists 100 records a page), and requests' per-call machinery (merging
environment settings, hooks, cookies) cost 1.2 ms of CPU a call against
urllib3's 0.6 ms, measured on the medium sandbox: 6 µs of every landed row.
What requests reads from the environment per call (proxies, a CA bundle) is
read once, when the client is made.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

import certifi
import orjson
import urllib3
from urllib3.exceptions import HTTPError as TransportError
from urllib3.exceptions import MaxRetryError, NewConnectionError, ResponseError
from urllib3.exceptions import TimeoutError as TransportTimeout

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
    max_pages: int = 1_000_000  # a loop guard: the large tier's HubSpot calls are 10M+ records, 100 a page
    max_retry_after_seconds: float = 120.0
    deadline_seconds: float = 600.0  # total time one object may spend waiting to retry


def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _unreachable(exc: Exception) -> str | None:
    """'connection refused' / 'cannot resolve': a wrong URL or a service that is down; retrying won't help soon."""
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename nor servname" in text:
        return "host name cannot be resolved"
    return None


def connection_pool(base_url: str, headers: dict[str, str]) -> urllib3.PoolManager:
    """A keep-alive pool for one API: through the proxy the environment names for it (``HTTPS_PROXY``,
    ``NO_PROXY``...), trusting the CA bundle it names (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``) or certifi's.
    Redirects are followed (up to 5); every other retry is this client's own, so it is counted and paced."""
    parts = urlsplit(base_url)
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()
    options = {"headers": headers, "ca_certs": ca_bundle, "maxsize": 4,
               "retries": urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5,
                                        raise_on_redirect=True, raise_on_status=False)}
    proxy = None if urllib.request.proxy_bypass(parts.hostname or "") else \
        urllib.request.getproxies().get(parts.scheme)
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


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
    paced_seconds: float = 0.0  # waited because the vendor said its quota was spent (not retries)
    _deadline: float = float("inf")
    _tokens: Counter = field(default_factory=Counter)
    _resume_at: float = 0.0  # monotonic time before which the quota is spent

    def __post_init__(self) -> None:
        self.pool = connection_pool(self.base_url, {"Authorization": self.auth_header,
                                                    "Accept": "application/json"})

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
            self._wait_for_quota()
            self.calls += 1
            try:
                response = self._send(method, url, params, body)
            except ResponseError as exc:  # more than 5 redirects: a loop, which asking again will not end
                raise SourceError(f"{self.where}: {endpoint}: {exc}") from exc
            except TransportError as exc:
                reason = _unreachable(exc)
                if reason:
                    parts = urlsplit(url)
                    raise SourceError(f"{self.where}: {endpoint}: {reason} to {parts.hostname}:{parts.port or ''} "
                                      "(is the URL right and the service up?)") from exc
                # (urllib3 makes a failed connect a kind of timeout: NewConnectionError is a ConnectTimeoutError)
                timed_out = isinstance(exc, TransportTimeout) and not isinstance(exc, NewConnectionError)
                problem = f"no answer within {self.policy.timeout_seconds:g}s" if timed_out else \
                    f"connection failed ({type(exc).__name__})"
                self._sleep(attempt, None, problem, endpoint)
                continue
            self._note_quota(response.headers)
            if response.status in RETRY_STATUSES:
                problem = _status(response.status)
                self._sleep(attempt, response.headers.get("Retry-After"), problem, endpoint)
                continue
            if response.status >= 400:  # 401, 403, 404, 400...: the request or its credentials are wrong
                hint = {401: " (check the token)", 403: " (the token lacks a permission)",
                        404: " (check the URL)"}.get(response.status, "")
                said = " ".join(response.data[:200].decode("utf-8", "replace").split())
                raise SourceError(f"{self.where}: {endpoint} answered {_status(response.status)}{hint}"
                                  + (f": {said}" if said and not _is_html(response) else ""))
            if _is_html(response):
                raise SourceError(f"{self.where}: {endpoint} answered HTML instead of JSON "
                                  f"({_status(response.status)}; a login page or proxy in the way?)")
            try:
                answer = _parse_json(response.data)
            except ValueError:
                problem = "unreadable JSON"  # a truncated body: ask again
                self._sleep(attempt, None, problem, endpoint)
                continue
            if not isinstance(answer, expect):
                raise SourceError(f"{self.where}: {endpoint} answered a JSON {type(answer).__name__} where "
                                  f"a JSON {'object' if expect is dict else 'list'} was expected")
            return answer
        raise SourceError(f"{self.where}: {endpoint} failed after {self.policy.max_retries} retries: {problem}")

    def _send(self, method: str, url: str, params: dict | None, body: dict | None) -> urllib3.BaseHTTPResponse:
        """One request; a timeout or a broken connection raises the transport's own error (see ``request``)."""
        if params:
            url += "?" + urlencode(params)
        timeout = urllib3.Timeout(connect=self.policy.timeout_seconds, read=self.policy.timeout_seconds)
        try:
            if body is None:
                return self.pool.request(method, url, timeout=timeout)
            return self.pool.request(method, url, body=orjson.dumps(body), timeout=timeout,
                                     headers=self.pool.headers | {"Content-Type": "application/json"})
        except MaxRetryError as exc:  # urllib3 retries nothing but redirects: its cause is what went wrong
            if isinstance(exc.reason, TransportError):
                raise exc.reason from exc
            raise

    def _note_quota(self, headers: urllib3.HTTPHeaderDict) -> None:
        """When the answer says the vendor's quota is spent, the next call waits for its window to reset."""
        reset = quota_reset_seconds(headers)
        if reset is not None:
            self._resume_at = time.monotonic() + min(reset, self.policy.max_retry_after_seconds)

    def _wait_for_quota(self) -> None:
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            self.paced_seconds += delay
            time.sleep(delay)
        self._resume_at = 0.0

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


# How each vendor says how many calls are left and when its window resets (every answer, not only a 429):
# HubSpot  X-HubSpot-RateLimit-Remaining, X-HubSpot-RateLimit-Interval-Milliseconds (the window's length);
# Zendesk  ratelimit-remaining, ratelimit-reset (seconds); Jira  X-RateLimit-Remaining, X-RateLimit-Reset (ISO 8601).
REMAINING_HEADERS = ("X-HubSpot-RateLimit-Remaining", "ratelimit-remaining", "X-RateLimit-Remaining")


def quota_reset_seconds(headers: urllib3.HTTPHeaderDict) -> float | None:
    """Seconds until the vendor's rate-limit window resets, when the answer says no call is left in it; else
    None. A reset the answer does not give waits one second."""
    remaining = next((headers[h] for h in REMAINING_HEADERS if h in headers), None)
    try:
        if remaining is None or int(remaining) > 0:
            return None
    except ValueError:
        return None
    with contextlib.suppress(ValueError):
        if "X-HubSpot-RateLimit-Interval-Milliseconds" in headers:  # the reset is unknown: a whole window
            return int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
        if "ratelimit-reset" in headers:
            return max(0.0, float(headers["ratelimit-reset"]))
        if "X-RateLimit-Reset" in headers:
            when = datetime.fromisoformat(headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return 1.0


def _parse_json(body: bytes) -> object:
    """orjson (several times faster on big pages); the standard parser for what orjson refuses but JSON
    readers accept (integers beyond 64 bits, NaN), so a valid page is never retried as unreadable."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _is_html(response: urllib3.BaseHTTPResponse) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind or response.data[:20].lstrip().lower().startswith((b"<!doctype", b"<html"))

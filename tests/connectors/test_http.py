"""The shared HTTP client: what it retries, how long it waits, when it gives up."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from connectors import http as http_module
from connectors.http import ApiClient, HttpPolicy, SourceError


class Script(BaseHTTPRequestHandler):
    """Answers from a list of (status, headers, body) and records each request."""

    answers: ClassVar[list] = []
    seen: ClassVar[list] = []
    delays: ClassVar[list] = []  # seconds to wait before each answer, first ones first

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = self.answers.pop(0) if self.answers else (200, {}, "{}")
        if self.delays:
            threading.Event().wait(self.delays.pop(0))  # not time.sleep: the tests replace it
        data = body.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    Script.answers, Script.seen, Script.delays = [], [], []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(http_module.time, "sleep", waited.append)
    return waited


def client(server, **policy) -> ApiClient:
    return ApiClient("testsrc", f"http://127.0.0.1:{server.server_address[1]}", "Bearer t",
                     HttpPolicy(**({"backoff_seconds": 0.1} | policy)))


def test_429_waits_for_retry_after_then_succeeds(server, sleeps):
    Script.answers = [(429, {"Retry-After": "7"}, "{}"), (200, {}, json.dumps({"ok": 1}))]
    c = client(server)
    assert c.get("/x", {"a": 1}) == {"ok": 1}
    assert sleeps == [7.0]
    assert c.calls == 2 and c.retries == 1
    assert Script.seen[0] == ("/x?a=1", "Bearer t")


def test_5xx_burst_and_truncated_json_are_retried_with_growing_backoff(server, sleeps):
    Script.answers = [(503, {}, "{}"), (502, {}, "{}"), (200, {}, '{"results": [1, 2'), (200, {}, '{"results": []}')]
    assert client(server).get("/x") == {"results": []}
    assert sleeps == [0.1, 0.2, 0.4]


def test_gives_up_after_max_retries_naming_source_and_path(server, sleeps):
    Script.answers = [(503, {}, "{}")] * 10
    with pytest.raises(SourceError, match=r"testsrc: GET /deals failed after 3 retries: HTTP 503"):
        client(server, max_retries=3).get("/deals")
    assert len(sleeps) == 4


def test_client_errors_are_not_retried(server, sleeps):
    Script.answers = [(401, {}, '{"message": "bad token"}')]
    with pytest.raises(SourceError, match=r"HTTP 401.*bad token"):
        client(server).get("/deals")
    assert sleeps == []


def test_timeouts_are_retried(server, sleeps):
    """Two answers slower than the client's timeout, then a prompt one: each slow call is given up after the
    timeout and asked again."""
    Script.delays = [0.6, 0.6]
    Script.answers = [(200, {}, '{"late": 1}'), (200, {}, '{"late": 2}'), (200, {}, '{"ok": true}')]
    c = client(server, timeout_seconds=0.2)
    started = time.perf_counter()
    assert c.get("/x") == {"ok": True}
    assert c.calls == 3 and len(sleeps) == 2
    assert time.perf_counter() - started < 1.2, "each slow answer was abandoned at the timeout, not awaited"


@pytest.mark.parametrize(("status", "phrase"), [(401, "HTTP 401 Unauthorized (check the token)"),
                                                (403, "HTTP 403 Forbidden"), (404, "HTTP 404 Not Found")])
def test_auth_and_not_found_fail_at_once_with_the_status_named(server, sleeps, status, phrase):
    Script.answers = [(status, {}, "{}")] * 3
    c = client(server)
    c.start_object("deals")
    with pytest.raises(SourceError, match=rf"^testsrc\.deals: GET /crm/deals answered {re.escape(phrase)}"):
        c.get("/crm/deals")
    assert sleeps == [] and c.calls == 1


def test_a_refused_connection_fails_at_once_naming_host_and_port(sleeps):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    c = ApiClient("hubspot", f"http://127.0.0.1:{port}", "Bearer t", HttpPolicy())
    c.start_object("owners")
    expected = rf"hubspot\.owners: GET /crm/v3/owners: connection refused to 127\.0\.0\.1:{port}"
    with pytest.raises(SourceError, match=expected):
        c.get("/crm/v3/owners")
    assert sleeps == [] and c.calls == 1


def test_html_instead_of_json_is_named_and_not_retried(server, sleeps):
    Script.answers = [(200, {"Content-Type": "text/html"}, "<!DOCTYPE html><html>Sign in</html>")]
    with pytest.raises(SourceError, match="answered HTML instead of JSON"):
        client(server).get("/x")
    assert sleeps == []


def test_a_json_list_where_an_object_was_expected_is_named(server, sleeps):
    Script.answers = [(200, {}, "[1, 2]"), (200, {}, "[1, 2]")]
    with pytest.raises(SourceError, match="answered a JSON list where a JSON object was expected"):
        client(server).get("/x")
    assert client(server).get("/users", expect=list) == [1, 2]


def test_retries_stop_at_the_deadline_per_object(server, monkeypatch):
    clock, sleeps = [0.0], []
    monkeypatch.setattr(http_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(http_module.time, "sleep", lambda s: (sleeps.append(s), clock.__setitem__(0, clock[0] + s)))
    Script.answers = [(503, {}, "{}")] * 20
    c = client(server, max_retries=50, backoff_seconds=1, deadline_seconds=10)
    c.start_object("tickets")
    with pytest.raises(SourceError, match=r"testsrc\.tickets: GET /x: HTTP 503 Service Unavailable; gave up at the "
                                          r"10s deadline"):
        c.get("/x")
    assert sum(sleeps) <= 10 and sleeps == [1, 2, 4]


def test_reaching_max_pages_fails_instead_of_cutting_data_off(server):
    c = client(server, max_pages=3)
    c.start_object("deals")
    seen = []
    with pytest.raises(SourceError, match=r"testsrc\.deals: stopped at http.max_pages = 3 pages"):
        for n in c.pages():
            seen.append(n)
    assert seen == [0, 1, 2]


def test_a_loop_ending_before_max_pages_is_fine(server):
    c = client(server, max_pages=3)
    for n in c.pages():
        if n == 2:
            break


def test_a_server_repeating_a_page_token_fails_the_object_after_one_glitch(server):
    c = client(server)
    c.start_object("deals")
    assert c.follow("abc") == "abc" and c.follow("abc") == "abc"  # once more: a repeated page, tolerated
    with pytest.raises(SourceError, match="repeated the page token 'abc' 3 times"):
        c.follow("abc")
    c.start_object("calls")  # a new object starts afresh
    assert c.follow("abc") == "abc"


def test_the_environment_names_the_proxy_and_ca_bundle_once_per_client(monkeypatch, tmp_path):
    """What requests read from the environment on every call is read when the client is made."""
    import urllib3

    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.corp.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    proxied = http_module.connection_pool("https://acme.atlassian.net", {})
    assert isinstance(proxied, urllib3.ProxyManager) and proxied.proxy.host == "proxy.corp.example"
    assert proxied.connection_pool_kw["ca_certs"] == str(bundle)
    direct = http_module.connection_pool("https://jira.internal.corp.example", {})
    assert not isinstance(direct, urllib3.ProxyManager)


@pytest.mark.parametrize("headers, wait", [
    ({"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 10.0),
    ({"ratelimit-remaining": "0", "ratelimit-reset": "41"}, 41.0),  # Zendesk
    ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2999-01-01T00:00Z"}, 120.0),  # Jira; capped
    ({"X-RateLimit-Remaining": "0"}, 1.0),  # spent, reset not said
])
def test_a_spent_quota_makes_the_next_call_wait_for_its_window(server, sleeps, headers, wait):
    Script.answers = [(200, headers, "{}"), (200, {}, "{}"), (200, {}, "{}")]
    c = client(server)
    c.get("/a")
    assert sleeps == []  # the answer came; the wait is before the next call
    c.get("/b")
    assert len(sleeps) == 1 and sleeps[0] == pytest.approx(wait, abs=0.5)
    c.get("/c")
    assert len(sleeps) == 1 and c.paced_seconds == pytest.approx(wait, abs=0.5) and c.retries == 0


def test_calls_left_in_the_window_do_not_wait(server, sleeps):
    Script.answers = [(200, {"X-HubSpot-RateLimit-Remaining": "3",
                             "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, "{}"), (200, {}, "{}")]
    c = client(server)
    c.get("/a"), c.get("/b")
    assert sleeps == [] and c.paced_seconds == 0

"""The shared HTTP client: what it retries, how long it waits, when it gives up."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from connectors import http as http_module
from connectors.http import ApiClient, HttpPolicy, SourceError


class Script(BaseHTTPRequestHandler):
    """Answers from a list of (status, headers, body) and records each request."""

    answers: ClassVar[list] = []
    seen: ClassVar[list] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = self.answers.pop(0) if self.answers else (200, {}, "{}")
        data = body.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    Script.answers, Script.seen = [], []
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


def test_timeouts_are_retried(monkeypatch, sleeps):
    import requests

    calls = []

    def fake_request(self, *args, **kwargs):
        calls.append(kwargs["timeout"])
        if len(calls) < 3:
            raise requests.Timeout("read timed out")
        response = requests.Response()
        response.status_code, response._content = 200, b'{"ok": true}'
        return response

    monkeypatch.setattr(requests.Session, "request", fake_request)
    c = ApiClient("testsrc", "http://127.0.0.1:9", "Bearer t", HttpPolicy(timeout_seconds=1.5, backoff_seconds=0.1))
    assert c.get("/x") == {"ok": True}
    assert calls == [1.5, 1.5, 1.5]

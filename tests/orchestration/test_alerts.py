"""Alerts reach every configured channel: a local SMTP server and a local HTTP receiver stand in for the mail
relay and the chat tools, and the tests assert on what arrived."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from connectors.http import SourceError
from orchestration.alerts import Alert, run_failure_alert, send, webhook_payload
from tests.helpers import northstar_env

CAUSE = "hubspot.deals: GET /crm/v3/objects/deals: HTTP 401 Unauthorized (check NORTHSTAR_HUBSPOT_TOKEN)"


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def mailbox():
    box = _Mailbox()
    with socket.socket() as probe:  # aiosmtpd needs a real port number (it connects to it to start)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def receiver():
    """A local HTTP server that records every POST body by path; /refuse answers like Feishu refusing."""
    calls: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append((self.path, body))
            answer = {"code": 19021, "msg": "sign match fail"} if self.path.startswith("/refuse") else {"errcode": 0}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", calls
    finally:
        server.shutdown()


def _channels(monkeypatch, mailbox_port: int, base_url: str) -> None:
    for kind in ("feishu", "dingtalk", "wecom", "slack"):
        monkeypatch.setenv(f"TEST_HOOK_{kind.upper()}", f"{base_url}/{kind}?access_token=SECRET-{kind}")
    monkeypatch.setenv("NORTHSTAR_ALERTS_WEBHOOKS", "feishu:TEST_HOOK_FEISHU, dingtalk:TEST_HOOK_DINGTALK,"
                                                    "wecom:TEST_HOOK_WECOM,slack:TEST_HOOK_SLACK")
    monkeypatch.setenv("NORTHSTAR_ALERTS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NORTHSTAR_ALERTS_SMTP_PORT", str(mailbox_port))
    monkeypatch.setenv("NORTHSTAR_ALERTS_SMTP_STARTTLS", "false")
    monkeypatch.setenv("NORTHSTAR_ALERTS_SMTP_SENDER", "northstar@example.com")
    monkeypatch.setenv("NORTHSTAR_ALERTS_SMTP_RECIPIENTS", "data-team@example.com,hr-ops@example.com")
    monkeypatch.setenv("NORTHSTAR_ALERTS_DAGSTER_URL", "http://dagster.example:3000/")


def _failed_run(instance: dg.DagsterInstance):
    @dg.op(name="extract_hubspot__deals")
    def extract():
        raise SourceError(CAUSE)

    @dg.job(name="refresh")
    def refresh():
        extract()

    result = refresh.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return result


def test_a_failing_run_sends_one_email_and_one_call_per_webhook_naming_the_cause(monkeypatch, tmp_path, mailbox,
                                                                                  receiver):
    from orchestration.sensors import alert_on_run_failure

    box, port = mailbox
    base_url, calls = receiver
    _channels(monkeypatch, port, base_url)
    instance = dg.DagsterInstance.ephemeral()
    with northstar_env(tmp_path / "home"):
        result = _failed_run(instance)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_event=failure, dagster_instance=instance,
            dagster_run=result.dagster_run).for_run_failure()
        alert_on_run_failure(context)
        status = json.loads((tmp_path / "home" / "serving" / "status.json").read_text())

    assert len(box.messages) == 1
    recipients, mail = box.messages[0]
    assert sorted(recipients) == ["data-team@example.com", "hr-ops@example.com"]
    assert mail["Subject"] == f"Northstar: run {result.run_id[:8]} (refresh) failed"
    body = mail.get_content()
    assert f"failed extract_hubspot__deals: {CAUSE}" in body
    assert f"Dagster run: http://dagster.example:3000/runs/{result.run_id}" in body

    by_kind = {path.split("?")[0].strip("/"): body for path, body in calls}
    assert len(calls) == 4 and set(by_kind) == {"feishu", "dingtalk", "wecom", "slack"}
    assert by_kind["feishu"]["msg_type"] == "text" and CAUSE in by_kind["feishu"]["content"]["text"]
    assert by_kind["dingtalk"]["msgtype"] == "text" and CAUSE in by_kind["dingtalk"]["text"]["content"]
    assert by_kind["wecom"]["msgtype"] == "text" and CAUSE in by_kind["wecom"]["text"]["content"]
    assert CAUSE in by_kind["slack"]["text"]
    # the dashboards' banner says so as well
    assert status["last_attempt"]["decision"] == "failed"
    assert status["last_attempt"]["failed_steps"] == [{"step": "extract_hubspot__deals", "cause": CAUSE}]


def test_a_blocked_publish_names_the_blocking_checks_with_counts_and_links_the_report():
    status = {"last_attempt": {"run_id": "abcdef0123456789", "decision": "blocked",
                               "blocking_failures": ["staging.stg_hr__employees: Employee ids are unique (3 rows)"],
                               "report_html": "/data/reports/abcdef0123456789/summary.html"}}
    alert = run_failure_alert("abcdef0123456789", "refresh", [("serving__northstar", "publish refused")], status)
    assert alert.subject == "Northstar: publishing blocked by the audit in run abcdef01 (refresh)"
    assert alert.lines == ["blocking: staging.stg_hr__employees: Employee ids are unique (3 rows)"]
    assert alert.links["Auditor report"] == "/data/reports/abcdef0123456789/summary.html"
    assert alert.links["Dagster run"].endswith("/runs/abcdef0123456789")


def test_a_channel_that_fails_is_reported_without_its_url_and_the_others_still_get_the_alert(monkeypatch, receiver):
    from config.settings import load_settings

    base_url, calls = receiver
    monkeypatch.setenv("HOOK_OK", f"{base_url}/ok?token=SECRET-1")
    monkeypatch.setenv("HOOK_REFUSES", f"{base_url}/refuse?token=SECRET-2")
    monkeypatch.setenv("HOOK_DOWN", "http://127.0.0.1:9/down?token=SECRET-3")
    monkeypatch.setenv("NORTHSTAR_ALERTS_WEBHOOKS", "slack:HOOK_MISSING,lark:HOOK_REFUSES,wecom:HOOK_DOWN,"
                                                    "dingtalk:HOOK_OK,teams:HOOK_OK")
    deliveries = send(Alert("subject", ["line"]), load_settings().alerts)
    outcome = {d.channel: (d.ok, d.detail) for d in deliveries}
    assert outcome["slack (HOOK_MISSING)"] == (False, "HOOK_MISSING is not set")
    assert outcome["lark (HOOK_REFUSES)"] == (False, "refused: code 19021 sign match fail")
    assert outcome["wecom (HOOK_DOWN)"][0] is False
    assert outcome["dingtalk (HOOK_OK)"] == (True, "HTTP 200")
    assert outcome["teams (HOOK_OK)"][0] is False and "unknown webhook kind" in outcome["teams (HOOK_OK)"][1]
    assert not any("SECRET" in detail for _, detail in outcome.values())
    assert [path.split("?")[0] for path, _ in calls] == ["/refuse", "/ok"]


def test_typed_text_stays_text_in_every_payload():
    alert = Alert("Northstar: run x failed", ["failed inbox: hr_<script>&<@U123>.xlsx rejected"])
    assert webhook_payload("slack", alert)["text"].endswith("hr_&lt;script&gt;&amp;&lt;@U123&gt;.xlsx rejected")
    assert "hr_<script>&<@U123>.xlsx" in webhook_payload("feishu", alert)["content"]["text"]
    with pytest.raises(ValueError, match="unknown webhook kind"):
        webhook_payload("teams", alert)


def test_a_source_turning_stale_alerts_once(monkeypatch, tmp_path, receiver):
    import duckdb

    from orchestration.definitions import build_definitions

    base_url, calls = receiver
    monkeypatch.setenv("TEST_HOOK", f"{base_url}/wecom")
    monkeypatch.setenv("NORTHSTAR_ALERTS_WEBHOOKS", "wecom:TEST_HOOK")
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    sensor = {s.name: s for s in build_definitions().sensors}["alert_on_stale_source"]
    serving = tmp_path / "home" / "serving" / "northstar.duckdb"
    serving.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema pipeline")
        con.execute("create table pipeline.loads (source varchar, object varchar, finished_at timestamptz, "
                    "status varchar)")
        con.execute("""insert into pipeline.loads values ('zendesk', 'tickets', now() - interval 5 hour, 'succeeded'),
                       ('hubspot', 'deals', now() - interval 1 hour, 'succeeded')""")
        con.execute("create table pipeline.inbox_files (file_name varchar, loaded_at timestamptz, status varchar)")
        con.execute("insert into pipeline.inbox_files values ('hr_1.xlsx', now() - interval 1 day, 'loaded')")
    first = dg.build_sensor_context()
    sensor(first)
    assert len(calls) == 1 and "zendesk.tickets: last loaded 5" in calls[0][1]["text"]["content"]
    assert "hubspot.deals" not in calls[0][1]["text"]["content"]
    sensor(dg.build_sensor_context(cursor=first.cursor))  # still stale: no second alert
    assert len(calls) == 1

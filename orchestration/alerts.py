"""Alerts: what went wrong, said once to every channel the settings name.

Channels (``[alerts]`` in ``northstar.toml``): e-mail over SMTP, and chat webhooks in
the payload formats of Feishu / Lark, DingTalk, WeCom (企业微信) and Slack. A webhook
URL carries its channel's token, so the settings name the environment variable that
holds it, and no URL or password is ever written to a log or a delivery report.
An alert is plain text: causes and file names are data, never markup.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

from config.settings import AlertSettings, load_settings

WEBHOOK_KINDS = ("feishu", "lark", "dingtalk", "wecom", "slack")


@dataclass(frozen=True)
class Alert:
    subject: str  # one line: what failed
    lines: list[str]  # why: each failing step with its first cause, or each blocking check with its count
    links: dict[str, str] = field(default_factory=dict)  # label -> where to look

    def text(self) -> str:
        body = [self.subject, *self.lines]
        body += [f"{label}: {target}" for label, target in self.links.items()]
        return "\n".join(body)


@dataclass(frozen=True)
class Delivery:
    channel: str  # "email" or the webhook's kind and variable, e.g. "feishu (NORTHSTAR_FEISHU_WEBHOOK)"
    ok: bool
    detail: str  # status or error, without the URL or any credential


def run_link(run_id: str, alerts: AlertSettings | None = None) -> str:
    alerts = alerts or load_settings().alerts
    return f"{alerts.dagster_url.rstrip('/')}/runs/{run_id}"


def report_link(report_path: str, alerts: AlertSettings | None = None) -> str:
    alerts = alerts or load_settings().alerts
    if not alerts.report_url or not report_path:
        return report_path
    parts = report_path.rstrip("/").split("/")
    return f"{alerts.report_url.rstrip('/')}/{'/'.join(parts[-2:])}"  # <run id>/summary.html


def run_failure_alert(run_id: str, job: str, failures: list[tuple[str, str]], status: dict,
                      alerts: AlertSettings | None = None) -> Alert:
    """A failed run: each failing step with its first cause; a publish the audit blocked, its blocking checks."""
    attempt = status.get("last_attempt", {})
    blocked = attempt.get("run_id") == run_id and attempt.get("decision") == "blocked"
    if blocked:
        checks = attempt.get("blocking_failures") or [attempt.get("error", "blocking checks failed")]
        subject = f"Northstar: publishing blocked by the audit in run {run_id[:8]} ({job})"
        lines = [f"blocking: {check}" for check in checks]
    else:
        subject = f"Northstar: run {run_id[:8]} ({job}) failed"
        lines = [f"failed {step}: {cause}" for step, cause in failures] or ["the run failed before any step ran"]
    links = {"Dagster run": run_link(run_id, alerts)}
    if attempt.get("run_id") == run_id and attempt.get("report_html"):
        links["Auditor report"] = report_link(attempt["report_html"], alerts)
    return Alert(subject, lines, links)


def webhook_payload(kind: str, alert: Alert) -> dict:
    """The body each chat tool's incoming webhook expects for a plain-text message."""
    text = alert.text()
    if kind in ("feishu", "lark"):
        return {"msg_type": "text", "content": {"text": text}}
    if kind in ("dingtalk", "wecom"):
        return {"msgtype": "text", "text": {"content": text}}
    if kind == "slack":
        # Slack reads &, < and > as markup (links, mentions): escaped, the text stays text
        return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    raise ValueError(f"unknown webhook kind {kind!r}: choose one of {', '.join(WEBHOOK_KINDS)}")


def send(alert: Alert, alerts: AlertSettings | None = None) -> list[Delivery]:
    """Send ``alert`` to every configured channel; one channel's failure does not stop the others."""
    alerts = alerts or load_settings().alerts
    deliveries = [_post_webhook(entry, alert, alerts.timeout_seconds) for entry in alerts.webhooks]
    if alerts.smtp_host:
        deliveries.append(_send_email(alert, alerts))
    return deliveries


def _post_webhook(entry: str, alert: Alert, timeout: float) -> Delivery:
    kind, _, variable = entry.partition(":")
    kind, variable = kind.strip().lower(), variable.strip()
    channel = f"{kind} ({variable})"
    url = os.environ.get(variable, "") if variable else ""
    if kind not in WEBHOOK_KINDS:
        return Delivery(channel, False, f"unknown webhook kind {kind!r}: choose one of {', '.join(WEBHOOK_KINDS)}")
    if not url:
        return Delivery(channel, False, f"{variable or 'the webhook variable'} is not set")
    try:
        response = requests.post(url, json=webhook_payload(kind, alert), timeout=timeout)
    except requests.RequestException as exc:
        return Delivery(channel, False, f"{type(exc).__name__}")  # the message would quote the URL
    if response.status_code >= 300:
        return Delivery(channel, False, f"HTTP {response.status_code}")
    refused = _refused_in_body(response)
    return Delivery(channel, refused is None, refused or f"HTTP {response.status_code}")


def _refused_in_body(response: requests.Response) -> str | None:
    """Feishu, DingTalk and WeCom answer 200 with an error code in the body (bad keyword, signature, rate)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    code = body.get("errcode", body.get("code", body.get("StatusCode", 0)))
    if code not in (0, None, "0"):
        return f"refused: code {code} {body.get('errmsg') or body.get('msg') or ''}".strip()
    return None


def _send_email(alert: Alert, alerts: AlertSettings) -> Delivery:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = alerts.smtp_sender
    message["To"] = ", ".join(alerts.smtp_recipients)
    message.set_content(alert.text())
    try:
        with smtplib.SMTP(alerts.smtp_host, alerts.smtp_port, timeout=alerts.timeout_seconds) as smtp:
            if alerts.smtp_starttls:
                smtp.starttls()
            if alerts.smtp_username:
                smtp.login(alerts.smtp_username, os.environ.get("NORTHSTAR_SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return Delivery("email", False, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
    return Delivery("email", True, f"sent to {len(alerts.smtp_recipients)} recipient(s)")

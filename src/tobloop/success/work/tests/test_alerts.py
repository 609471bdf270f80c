"""Signed webhooks against a real local HTTP server: signature, retries with backoff, log."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.success.work import facade
from tobloop.success.work.models import WebhookDelivery
from tobloop.success.work.tests.fixtures import account, verdict

AS_OF = date(2026, 11, 20)


class Receiver:
    """A local endpoint: records what arrives; ``/flaky`` fails its first ``fail_first`` calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_first = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
                failing = self.path == "/down" or (
                    self.path == "/flaky" and len(outer.calls) <= outer.fail_first
                )
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _red_mid_account(owner: Any) -> Any:
    a = account(owner, "Signal", "mid")
    verdict(owner, a.id, AS_OF, "red")
    return a


def test_delivery_is_signed_over_the_raw_body(make_workspace, receiver):  # type: ignore[no-untyped-def]
    owner = make_workspace("hook")
    created = facade.create_endpoint(owner, url=receiver.url + "/ok", events=["task.created"])
    a = _red_mid_account(owner)
    facade.run_playbooks(owner, AS_OF)

    run = facade.deliver_due(workspace_id=owner.workspace_id)

    assert (run.attempted, run.delivered) == (1, 1)
    call = receiver.calls[0]
    ts, signature = call["headers"]["X-Tobloop-Timestamp"], call["headers"]["X-Tobloop-Signature"]
    assert facade.verify(created.secret, ts, call["body"], signature)
    assert not facade.verify("wrong-secret-wrong-secret", ts, call["body"], signature)
    event = json.loads(call["body"])
    assert event["type"] == "task.created" and event["data"]["account_id"] == a.id
    assert event["data"]["service_tier"] == "regional_csm"
    log, count = facade.list_deliveries(owner)
    assert count == 1 and (log[0].status, log[0].attempts, log[0].last_status_code) == (
        "delivered", 1, 204,
    )  # fmt: skip


def test_a_failing_endpoint_is_retried_with_backoff(make_workspace, receiver):  # type: ignore[no-untyped-def]
    owner = make_workspace("retry")
    receiver.fail_first = 2
    facade.create_endpoint(owner, url=receiver.url + "/flaky", events=[])
    _red_mid_account(owner)
    facade.run_playbooks(owner, AS_OF)
    now = timezone.now()

    first = facade.deliver_due(workspace_id=owner.workspace_id, now=now)
    d = WebhookDelivery.objects.get(workspace_id=owner.workspace_id)
    assert (first.retrying, d.attempts, d.last_status_code) == (1, 1, 503)
    assert d.next_attempt_at == now + timedelta(seconds=30) and "503" in d.last_error

    assert (
        facade.deliver_due(
            workspace_id=owner.workspace_id, now=now + timedelta(seconds=29)
        ).attempted
        == 0
    )
    second = facade.deliver_due(workspace_id=owner.workspace_id, now=now + timedelta(seconds=30))
    d.refresh_from_db()
    assert second.retrying == 1 and d.next_attempt_at == now + timedelta(seconds=90)  # +60 s
    third = facade.deliver_due(workspace_id=owner.workspace_id, now=now + timedelta(seconds=90))
    d.refresh_from_db()
    assert third.delivered == 1 and (d.status, d.attempts, d.last_error) == ("delivered", 3, "")
    assert len(receiver.calls) == 3
    assert len({c["body"] for c in receiver.calls}) == 1  # every retry sends the same body


def test_an_endpoint_that_never_answers_fails_after_the_last_attempt(make_workspace, receiver):  # type: ignore[no-untyped-def]
    owner = make_workspace("down")
    facade.create_endpoint(owner, url=receiver.url + "/down", events=["task.created"])
    _red_mid_account(owner)
    facade.run_playbooks(owner, AS_OF)
    moment = timezone.now()
    for _ in range(6):
        facade.deliver_due(workspace_id=owner.workspace_id, now=moment)
        moment += timedelta(hours=1)
    d = WebhookDelivery.objects.get(workspace_id=owner.workspace_id)
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 6, None)
    assert facade.deliver_due(workspace_id=owner.workspace_id, now=moment).attempted == 0


def test_endpoints_need_admin_and_a_valid_url(make_workspace, add_member):  # type: ignore[no-untyped-def]
    owner = make_workspace("adm")
    csm = add_member("adm", "carl", "csm")
    with pytest.raises(PermissionDenied):
        facade.create_endpoint(csm, url="https://example.com/hook", events=[])
    with pytest.raises(InvalidInput) as bad:
        facade.create_endpoint(owner, url="ftp://x", events=["task.nope"])
    assert [d.loc for d in bad.value.details] == [("url",), ("events",)]


def test_unsubscribed_events_make_no_delivery(make_workspace, receiver):  # type: ignore[no-untyped-def]
    owner = make_workspace("quiet")
    facade.create_endpoint(owner, url=receiver.url + "/ok", events=["nps.received"])
    _red_mid_account(owner)
    facade.run_playbooks(owner, AS_OF)
    assert facade.list_deliveries(owner)[1] == 0


def test_an_escalation_is_sent_to_the_webhook(make_workspace, receiver):  # type: ignore[no-untyped-def]
    owner = make_workspace("esc")
    facade.create_endpoint(owner, url=receiver.url + "/ok", events=["task.escalated"])
    a = account(owner, "Giant", "large")
    verdict(owner, a.id, AS_OF, "red")
    facade.run_playbooks(owner, AS_OF)  # due in 3 days
    facade.run_playbooks(owner, AS_OF + timedelta(days=4))  # 1 day overdue → level 1

    facade.deliver_due(workspace_id=owner.workspace_id)

    [call] = receiver.calls
    data = json.loads(call["body"])["data"]
    assert (data["account_id"], data["escalation_level"], data["escalated_to"]) == (
        a.id, 1, "Account team lead",
    )  # fmt: skip

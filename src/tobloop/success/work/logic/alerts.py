"""Alerts to the outside: signed webhooks with retries and a delivery log, and e-mail.

Webhook signing (documented in docs/success.md): every POST carries
``X-Tobloop-Timestamp: <unix seconds>`` and ``X-Tobloop-Signature: sha256=<hex>``, where the
hex is HMAC-SHA256 with the endpoint's secret over ``<timestamp>.<raw body bytes>``. Binding the
timestamp lets a receiver refuse replays of an old body. A delivery that does not get a 2xx
answer is retried with exponential backoff (30 s, 1, 2, 4, 8 min) and marked failed after
``MAX_ATTEMPTS``; the log keeps the attempts, the last status code and the last error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import smtplib
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.work.contracts import DeliveryView, EndpointView
from tobloop.success.work.models import (
    DeliveryStatus,
    EmailTemplate,
    WebhookDelivery,
    WebhookEndpoint,
)

EVENT_TYPES = (
    "task.created",
    "task.completed",
    "task.escalated",
    "inapp.message",
    "partner.referral",
    "nps.received",
)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30  # first retry after 30 s, then doubling
TIMEOUT_SECONDS = 5
SIGNATURE_HEADER = "X-Tobloop-Signature"
TIMESTAMP_HEADER = "X-Tobloop-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (constant-time comparison); shown in docs/success.md."""
    try:
        expected = sign(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 30 s × 2^(attempts − 1)."""
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


def endpoint_view(e: WebhookEndpoint) -> EndpointView:
    return EndpointView(
        id=e.pk, url=e.url, events=list(e.events), is_active=e.is_active, created_at=e.created_at
    )


def _check_endpoint(url: str, events: list[str]) -> None:
    details = []
    try:
        URLValidator(schemes=["http", "https"])(url)
    except Exception:
        details.append(ErrorDetail(("url",), "not an http(s) URL"))
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        details.append(
            ErrorDetail(("events",), f"unknown event type(s) {', '.join(unknown)}; known: "
                        f"{', '.join(EVENT_TYPES)}")
        )  # fmt: skip
    if details:
        raise InvalidInput("the webhook endpoint is not valid", details=details)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: EndpointView
    secret: str  # shown at creation; receivers need it to verify signatures


@transaction.atomic
def create_endpoint(
    principal: Principal, *, url: str, events: list[str], secret: str | None = None
) -> CreatedEndpoint:
    require(principal.scopes, "platform", "admin")
    _check_endpoint(url, events)
    secret = secret or secrets.token_hex(24)
    e = WebhookEndpoint.objects.create(
        workspace_id=principal.workspace_id, url=url, secret=secret, events=sorted(set(events))
    )
    record_audit(
        principal,
        action="create",
        object_type="webhook_endpoint",
        object_id=e.pk,
        object_repr=url,
        after={"url": url, "events": e.events},
    )
    return CreatedEndpoint(endpoint_view(e), secret)


def list_endpoints(principal: Principal) -> list[EndpointView]:
    require(principal.scopes, "platform", "admin")
    return [endpoint_view(e) for e in WebhookEndpoint.objects.for_workspace(principal.workspace_id)]


@transaction.atomic
def delete_endpoint(principal: Principal, endpoint_id: int) -> None:
    require(principal.scopes, "platform", "admin")
    e = WebhookEndpoint.objects.for_workspace(principal.workspace_id).filter(pk=endpoint_id).first()
    if e is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}", code="endpoint_not_found")
    record_audit(
        principal,
        action="delete",
        object_type="webhook_endpoint",
        object_id=e.pk,
        object_repr=e.url,
        before={"url": e.url, "events": e.events},
    )
    e.delete()


def enqueue(workspace_id: int, event: str, data: dict[str, Any]) -> int:
    """Queue the event for every active endpoint that wants it (no event list = all events)."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.for_workspace(workspace_id).filter(is_active=True)
        if not e.events or event in e.events
    ]
    if not endpoints:
        return 0
    now = timezone.now()
    body = json.dumps(
        {"id": str(uuid.uuid4()), "type": event, "created_at": now.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                workspace_id=workspace_id, endpoint=e, event=event, body=body, next_attempt_at=now
            )
            for e in endpoints
        ]
    )
    return len(endpoints)


def _post(url: str, secret: str, body: bytes, now: datetime) -> tuple[int | None, str]:
    timestamp = int(now.timestamp())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "tobloop-webhooks/1",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)[:500]


@dataclass(frozen=True)
class DeliveryRun:
    attempted: int
    delivered: int
    retrying: int
    failed: int


def deliver_due(
    *, workspace_id: int | None = None, now: datetime | None = None, limit: int = 200
) -> DeliveryRun:
    """Send the pending deliveries whose time has come (the in-process runner)."""
    now = now or timezone.now()
    qs = WebhookDelivery.objects.unscoped() if workspace_id is None else (
        WebhookDelivery.objects.for_workspace(workspace_id)
    )  # fmt: skip
    due = list(
        qs.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .select_related("endpoint")
        .order_by("next_attempt_at", "id")[:limit]
    )
    delivered = retrying = failed = 0
    for d in due:
        code, error = _post(d.endpoint.url, d.endpoint.secret, d.body.encode(), now)
        d.attempts += 1
        d.last_status_code = code
        if code is not None and 200 <= code < 300:
            d.status, d.delivered_at, d.last_error, d.next_attempt_at = (
                DeliveryStatus.DELIVERED, now, "", None,
            )  # fmt: skip
            delivered += 1
        else:
            d.last_error = error or f"HTTP {code}"
            if d.attempts >= MAX_ATTEMPTS:
                d.status, d.next_attempt_at = DeliveryStatus.FAILED, None
                failed += 1
            else:
                d.next_attempt_at = now + backoff(d.attempts)
                retrying += 1
        d.save(
            update_fields=["attempts", "last_status_code", "status", "delivered_at",
                           "last_error", "next_attempt_at"]
        )  # fmt: skip
    return DeliveryRun(len(due), delivered, retrying, failed)


def delivery_view(d: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=d.pk,
        endpoint_id=d.endpoint_id,
        url=d.endpoint.url,
        event=d.event,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
    )


def list_deliveries(
    principal: Principal, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[DeliveryView], int]:
    require(principal.scopes, "platform", "admin")
    qs = WebhookDelivery.objects.for_workspace(principal.workspace_id).select_related("endpoint")
    if status:
        qs = qs.filter(status=status)
    return [delivery_view(d) for d in qs[offset : offset + limit]], qs.count()


# E-mail ---------------------------------------------------------------------------------

DEFAULT_TEMPLATES = {
    "health-risk": (
        "{account}: can we help?",
        "Hello {contact},\n\nWe noticed that things may not be going smoothly for {account}. "
        "Our online help centre and a short call with our team are one click away.\n\n"
        "— {workspace}",
    ),
    "usage-drop": (
        "{account}: getting the most out of your subscription",
        "Hello {contact},\n\nYour team has used the product less in the last week. Here are "
        "three guides to pick it up again.\n\n— {workspace}",
    ),
    "renewal": (
        "{account}: your renewal is coming up",
        "Hello {contact},\n\nYour subscription renews soon. Reply to this e-mail with any "
        "question about your plan or seats.\n\n— {workspace}",
    ),
    "welcome": (
        "Welcome to {workspace}, {account}",
        "Hello {contact},\n\nWelcome aboard. Start with the five-minute setup guide; our "
        "online service answers within a working day.\n\n— {workspace}",
    ),
    "adoption": (
        "{account}: invite your colleagues",
        "Hello {contact},\n\nMany of your seats are not used yet. Invite colleagues from the "
        "Team page so that everyone gets the value you pay for.\n\n— {workspace}",
    ),
    "contact-change": (
        "{account}: who should we talk to now?",
        "Hello {contact},\n\nWe understand your team has changed. Who is the best person for "
        "questions about your subscription?\n\n— {workspace}",
    ),
}
_PLACEHOLDER = re.compile(r"\{(account|contact|reason|workspace)\}")


def install_default_templates(workspace_id: int) -> None:
    existing = set(EmailTemplate.objects.for_workspace(workspace_id).values_list("key", flat=True))
    EmailTemplate.objects.bulk_create(
        [
            EmailTemplate(workspace_id=workspace_id, key=k, subject=s, body=b)
            for k, (s, b) in DEFAULT_TEMPLATES.items()
            if k not in existing
        ]
    )


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill the known placeholders only; other braces stay as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def send_template_email(
    workspace_id: int, *, key: str, to: list[str], values: dict[str, str]
) -> bool:
    """Send one templated e-mail through Django's mail backend; False when no template."""
    template = EmailTemplate.objects.for_workspace(workspace_id).filter(key=key).first()
    if template is None or not to:
        return False
    try:
        send_mail(
            render_template(template.subject, values),
            render_template(template.body, values),
            settings.DEFAULT_FROM_EMAIL,
            to,
            fail_silently=False,
        )
    except (OSError, smtplib.SMTPException) as exc:
        # A mail server that is down must not stop the playbook run; the action log says so.
        raise EmailNotSent(str(exc)[:300]) from exc
    return True


class EmailNotSent(Exception):
    """The mail backend refused or could not reach the server."""

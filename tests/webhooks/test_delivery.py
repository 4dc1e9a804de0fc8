"""Webhook deliveries against a real HTTP receiver: signed, retried, bounded in time, logged, redelivered
with the same event id, and an endpoint failing for a day disabled with its owner told."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from matching.services import offer_accept
from notifications.models import Delivery, Notification
from orders.models import AllocationStatus
from tests.conftest import client_for
from tests.notifications.helpers import settle
from tests.webhooks.helpers import API, deliveries, offered_order, readme_verifier, register, send_all
from tests.webhooks.receiver import Answer
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from webhooks.services import webhook_deliveries_due, webhook_delivery_send

pytestmark = pytest.mark.django_db


def _signatures(header: str) -> tuple[int, list[str]]:
    pairs = [part.split("=", 1) for part in header.split(",")]
    (t,) = [int(v) for k, v in pairs if k == "t"]
    return t, [v for k, v in pairs if k == "v1"]


def test_each_order_event_arrives_signed_and_the_readme_snippet_verifies_it(
    private_ok, receiver, merchant_a, factory_x
):
    endpoint, secret = register(merchant_a, receiver.url)
    assert secret.startswith("whsec_")
    order = offered_order(merchant_a)

    assert send_all(endpoint) == ["succeeded", "succeeded"]

    verify = readme_verifier()
    assert [r.headers["C2M-Event-Type"] for r in receiver.received] == ["order.created", "order.offered"]
    for received, delivery in zip(receiver.received, deliveries(endpoint), strict=True):
        assert received.path == "/hooks/c2m"
        assert received.headers["Content-Type"] == "application/json"
        assert received.headers["User-Agent"].startswith("C2M-Webhooks/")
        assert received.headers["C2M-Event-Id"] == str(delivery.event_id)
        t, v1 = _signatures(received.headers["C2M-Signature"])
        assert abs(t - time.time()) < 10 and len(v1) == 1
        assert verify(secret, received.headers["C2M-Signature"], received.body)
        # A changed body, another secret or a replay after five minutes are all refused.
        assert not verify(secret, received.headers["C2M-Signature"], received.body + b" ")
        assert not verify("whsec_other", received.headers["C2M-Signature"], received.body)
        stale = received.headers["C2M-Signature"].replace(f"t={t}", f"t={t - 301}")
        assert not verify(secret, stale, received.body)

        event = json.loads(received.body)
        assert set(event) == {"id", "type", "created", "data"}
        assert event["id"] == str(delivery.event_id) and event["type"] == delivery.type
        assert event["data"]["id"] == order.pk and event["data"]["title"] == order.title
        assert event["data"]["quantity"] == 200 and event["data"]["due_date"] == order.due_date.isoformat()
        assert event["data"]["notification"]["order_id"] == order.pk
    offered = json.loads(receiver.received[1].body)["data"]
    (share,) = offered["allocations"]
    assert share["factory_name"] == factory_x.name and share["status"] == AllocationStatus.OFFERED

    (attempt,) = WebhookAttempt.objects.filter(delivery=deliveries(endpoint)[0])
    assert attempt.succeeded and attempt.status_code == 200 and attempt.response_excerpt == "ok"
    assert 0 <= attempt.duration_ms < 5000


def test_an_endpoint_gets_only_the_types_it_chose_and_nothing_goes_to_another_merchant(
    private_ok, receiver, merchant_a, merchant_b, factory_x
):
    confirmed_only, _ = register(merchant_a, receiver.url, events=["order.confirmed"])
    b_endpoint, _ = register(merchant_b, receiver.url)
    order = offered_order(merchant_a)
    assert deliveries(confirmed_only) == []
    offer_accept(allocation_id=order.allocations.get().pk, factory=factory_x)
    settle()
    assert [d.type for d in deliveries(confirmed_only)] == ["order.confirmed"]
    assert deliveries(b_endpoint) == []


def test_a_rotation_signs_with_both_secrets_during_the_overlap_only(private_ok, receiver, merchant_a):
    endpoint, old_secret = register(merchant_a, receiver.url)
    response = client_for(merchant_a.owner).post(f"{API}{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200, response.content
    new_secret = response.json()["secret"]
    assert new_secret != old_secret and response.json()["rotation_overlap_until"]
    offered_order(merchant_a)
    first, second = deliveries(endpoint)

    webhook_delivery_send(delivery_id=first.pk)
    header = receiver.received[0].headers["C2M-Signature"]
    assert len(_signatures(header)[1]) == 2
    verify = readme_verifier()
    assert verify(new_secret, header, receiver.received[0].body)
    assert verify(old_secret, header, receiver.received[0].body)

    # The overlap ends: only the new secret signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    webhook_delivery_send(delivery_id=second.pk)
    header = receiver.received[1].headers["C2M-Signature"]
    assert len(_signatures(header)[1]) == 1
    assert verify(new_secret, header, receiver.received[1].body)
    assert not verify(old_secret, header, receiver.received[1].body)


def test_a_5xx_is_retried_after_a_backoff_with_the_same_event_and_every_attempt_logged(
    private_ok, receiver, merchant_a
):
    private_ok.WEBHOOK_RETRY_BASE_SECONDS = 10
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    receiver.answer(Answer(500, b"receiver broke"), Answer(503, b"x" * 5000))

    before = timezone.now()
    assert webhook_delivery_send(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error == "HTTP 500"
    assert before + timedelta(seconds=9) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=11)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is not None
    # Not due yet: a second task for it sends nothing.
    assert webhook_delivery_send(delivery_id=delivery.pk) == ""

    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_send(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    # The backoff doubles.
    assert timezone.now() + timedelta(seconds=19) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=21)

    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_send(delivery_id=delivery.pk) == "succeeded"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3 and delivery.succeeded_at is not None
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None

    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("id"))
    assert [(a.status_code, a.succeeded) for a in attempts] == [(500, False), (503, False), (200, True)]
    assert attempts[0].response_excerpt == "receiver broke"
    assert attempts[1].response_excerpt == "x" * 1024  # bounded
    sent = [r for r in receiver.received if r.headers["C2M-Event-Id"] == str(delivery.event_id)]
    assert len(sent) == 3 and len({r.body for r in sent}) == 1


def test_a_slow_receiver_is_given_up_on_at_the_read_timeout(private_ok, receiver, merchant_a):
    private_ok.WEBHOOK_READ_TIMEOUT_SECONDS = 0.5
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    receiver.answer(Answer(200, delay=3.0))

    started = time.monotonic()
    assert webhook_delivery_send(delivery_id=delivery.pk) == "pending"
    assert time.monotonic() - started < 2.0
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error.startswith("timed out") and attempt.duration_ms < 2000


def test_a_redirect_is_not_followed_and_counts_as_a_failure(private_ok, receiver, merchant_a):
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    receiver.answer(Answer(302, b"", headers=(("Location", "http://169.254.169.254/latest/meta-data/"),)))
    assert webhook_delivery_send(delivery_id=delivery.pk) == "pending"
    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.get(delivery=delivery).status_code == 302


def test_a_redelivery_sends_the_same_event_again_as_a_new_attempt(private_ok, receiver, merchant_a):
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    assert webhook_delivery_send(delivery_id=delivery.pk) == "succeeded"

    client = client_for(merchant_a.owner)
    response = client.post(f"{API}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["event_id"] == str(delivery.event_id)
    assert webhook_delivery_send(delivery_id=delivery.pk) == "succeeded"

    first, again = receiver.received
    assert first.headers["C2M-Event-Id"] == again.headers["C2M-Event-Id"] == str(delivery.event_id)
    assert first.body == again.body
    log = client.get(f"{API}{endpoint.pk}/deliveries/").json()
    assert log["count"] == 2
    newest_first = [d["id"] for d in log["results"]]
    assert newest_first == sorted(newest_first, reverse=True)
    (logged,) = [d for d in log["results"] if d["id"] == delivery.pk]
    assert [a["status_code"] for a in logged["attempts"]] == [200, 200]
    assert logged["attempt_count"] == 2 and logged["status"] == "succeeded"


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_is_emailed(private_ok, receiver, merchant_a):
    receiver.default = Answer(500, b"down")
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    first, second = deliveries(endpoint)

    assert webhook_delivery_send(delivery_id=first.pk) == "pending"
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is not None

    # A day later, still failing: the first delivery's window is over and the endpoint has failed for a day.
    a_day_ago = timezone.now() - timedelta(days=1, minutes=1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=a_day_ago)
    WebhookDelivery.objects.filter(pk=first.pk).update(created_at=a_day_ago, next_attempt_at=timezone.now())
    assert webhook_delivery_send(delivery_id=first.pk) == "failed"

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    told = Notification.objects.get(recipient=merchant_a.owner, kind="webhook.disabled")
    assert told.data == {"url": receiver.url, "error": "HTTP 500"}
    assert told.url == f"/webhooks/{endpoint.pk}/"
    assert told.key == f"webhook.disabled:{endpoint.pk}:{endpoint.disabled_at.isoformat()}"
    assert Delivery.objects.filter(notification=told, channel="email").count() == 1

    # Disabled: its waiting delivery is neither sent nor swept, and new events make none.
    requests_so_far = len(receiver.received)
    assert webhook_delivery_send(delivery_id=second.pk) == ""
    assert webhook_deliveries_due() == 0
    offered_order(merchant_a)
    assert len(deliveries(endpoint)) == 2 and len(receiver.received) == requests_so_far

    # Enabling it again starts afresh and resumes what waited.
    response = client_for(merchant_a.owner).patch(f"{API}{endpoint.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["disabled_at"] is None and response.json()["failing_since"] is None
    receiver.default = Answer(200)
    assert webhook_delivery_send(delivery_id=second.pk) == "succeeded"


def test_failures_for_less_than_a_day_keep_the_endpoint(private_ok, receiver, merchant_a):
    receiver.default = Answer(500)
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=23))
    send_all(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.is_active and not Notification.objects.filter(kind="webhook.disabled").exists()


def test_the_sweeper_resends_a_dead_worker_s_claim_after_its_lease(private_ok, receiver, merchant_a, monkeypatch):
    published: list[int] = []

    def publish(name: str, pk: int, queue: str) -> bool:
        published.append(pk)
        return True

    monkeypatch.setattr("webhooks.services.deliveries.publish", publish)
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    first, second = deliveries(endpoint)
    # The first was claimed by a worker that died; the second's task was published a while ago and lost.
    long_ago = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.filter(pk=first.pk).update(
        status="sending", attempts=1, claimed_until=timezone.now() + timedelta(minutes=1), dispatched_at=long_ago
    )
    WebhookDelivery.objects.filter(pk=second.pk).update(dispatched_at=long_ago)
    assert webhook_deliveries_due() == 1 and published == [second.pk]
    assert webhook_deliveries_due() == 0  # published once per attempt

    WebhookDelivery.objects.filter(pk=first.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert webhook_deliveries_due() == 1 and published[-1] == first.pk
    assert webhook_delivery_send(delivery_id=first.pk) == "succeeded"
    assert WebhookDelivery.objects.get(pk=first.pk).attempts == 2
    assert WebhookDeliveryStatus.SUCCEEDED == "succeeded"

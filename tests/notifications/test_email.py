"""E-mail notifications through a real SMTP server process: what arrives, in whose language, once.

The server (tests/notifications/smtp_server.py) runs as its own process and writes down every message
it takes; the tests read what it received, never Django's outbox. Stopping it is the mail server down.
"""

from __future__ import annotations

import smtplib
import socket
import time as time_module
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from matching.services import offer_accept
from matching.tasks import match_order
from notifications import catalogue
from notifications.channels import DeliveryGone, DeliveryRetry
from notifications.channels import email as email_channel
from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.services import deliveries_due, delivery_send, notify, preference_update
from orders.models import AllocationStatus, Stage
from orders.services import allocation_report_progress
from tests import model_factories as mf
from tests.notifications.helpers import settle
from tests.notifications.smtp_server import SmtpServer, free_port, received
from tests.worker import restore_catalog, running_workers, wait_for, wait_until_quiet

pytestmark = pytest.mark.django_db


def smtp_mailer(port: int) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp(tmp_path: Path, settings) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    server = SmtpServer(port=free_port(), out=tmp_path / "mail.jsonl")
    server.start()
    settings.MAILERS = smtp_mailer(server.port)
    settings.SITE_URL = "https://c2m.example"
    settings.DEFAULT_FROM_EMAIL = "C2M marketplace <noreply@c2m.example>"
    try:
        yield server
    finally:
        server.stop()


def confirmed_order_delivery(merchant, factory) -> Delivery:  # type: ignore[no-untyped-def]
    """An order matched to `factory` and accepted: the merchant's order.confirmed e-mail, not sent yet."""
    order = mf.make_order(merchant)
    match_order(order.pk, "test")
    settle()
    offer = order.allocations.get(status=AllocationStatus.OFFERED)
    offer_accept(allocation_id=offer.pk, factory=factory)
    settle()
    return Delivery.objects.select_related("notification__recipient").get(
        notification__recipient=merchant.owner, notification__kind="order.confirmed", channel="email"
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_order_confirmed_mail_arrives_in_the_merchant_s_language(smtp, merchant_a, factory_x, language):
    owner = merchant_a.owner
    owner.language = language
    owner.save(update_fields=["language"])
    delivery = confirmed_order_delivery(merchant_a, factory_x)
    notification = delivery.notification

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT

    (record,) = received(smtp.out)
    assert record["rcpt_tos"] == [owner.email]
    assert record["mail_from"] == "noreply@c2m.example"
    message = record["message"]
    title, body = catalogue.render(notification.kind, notification.data, language=language)
    assert message["Subject"] == title
    assert message["To"] == owner.email
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    link = f"https://c2m.example/orders/{notification.data['order_id']}/"
    assert notification.url == f"/orders/{notification.data['order_id']}/"
    assert f'<html lang="{language}">' in html
    assert f'href="{link}"' in html
    assert 'href="https://c2m.example/notifications/preferences/"' in html
    assert title in html and body in html
    assert title in text and body in text and link in text
    assert "https://c2m.example/notifications/preferences/" in text
    assert message["Message-ID"] == f"<c2m-n{notification.pk}-email-{delivery.pk}@c2m.example>"
    assert message["X-C2M-Notification-Kind"] == "order.confirmed"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://c2m.example/notifications/preferences/>"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")
    assert delivery.sent_at is not None


def test_the_mail_templates_own_words_follow_the_reader_s_language(smtp, merchant_a, factory_x):
    """Strings of the template itself (not the catalogue's) are translated too: rendered under the
    reader's language, not the sender's (the worker's)."""
    owner = merchant_a.owner
    delivery = confirmed_order_delivery(merchant_a, factory_x)
    delivery_send(delivery_id=delivery.pk)
    _, english = parts(smtp.messages()[0])
    assert "C2M marketplace" in english and "Change what you are sent" in english

    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    second = notify(
        kind="order.shipped",
        recipients=[owner],
        key="order.shipped:test",
        data={"order_id": 7, "title": "Tee", "shipments": "SF Express SF1"},
        url="/orders/7/",
    )
    delivery_send(delivery_id=Delivery.objects.get(notification=second[0], channel="email").pk)
    _, chinese = parts(smtp.messages()[1])
    assert '<html lang="zh-hans">' in chinese
    with translation.override("zh-hans"):
        platform, footer_link = gettext("C2M marketplace"), gettext("Change what you are sent")
    assert platform in chinese and footer_link in chinese
    assert platform != "C2M marketplace"  # the platform name is in the Chinese catalog already


def test_a_sent_delivery_is_not_sent_again_and_a_resend_carries_the_same_message_id(smtp, merchant_a, factory_x):
    delivery = confirmed_order_delivery(merchant_a, factory_x)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) == ""  # a redelivered task: nothing to claim
    assert deliveries_due() == 0
    assert len(smtp.messages()) == 1

    # A worker that died after sending but before recording leaves it `sending`; after the lease it is
    # sent again (at least once), with the same Message-ID, so the mail client shows one message.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    first, second = smtp.messages()
    assert first["Message-ID"] == second["Message-ID"]


def test_with_the_server_down_the_delivery_waits_and_goes_out_once_when_it_is_back(smtp, merchant_a, factory_x):
    delivery = confirmed_order_delivery(merchant_a, factory_x)
    smtp.stop()
    before = timezone.now()

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= before + timedelta(seconds=django_settings.NOTIFY_RETRY_BASE_SECONDS)
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery_send(delivery_id=delivery.pk) == ""  # not due yet

    smtp.start()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())  # the clock reaches it
    assert deliveries_due() == 1  # the sweeper publishes it; here the test sends it as the worker would
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) == ""
    assert len(smtp.messages()) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")


def _user_with_email(email: str):  # type: ignore[no-untyped-def]
    owner = mf.make_merchant().owner
    owner.email = email
    owner.save(update_fields=["email"])
    return owner


def _notify_one(user, key: str = "k") -> Delivery:  # type: ignore[no-untyped-def]
    (notification,) = notify(
        kind="order.cancelled",
        recipients=[user],
        key=f"order.cancelled:{key}",
        data={"order_id": 1, "title": "Tee", "reason": "Changed colour."},
        url="/orders/1/",
    )
    return Delivery.objects.get(notification=notification, channel="email")


def test_an_address_refused_for_good_fails_and_one_refused_for_now_is_retried(smtp):
    refused = _notify_one(_user_with_email("refuse-me@example.com"))
    greylisted = _notify_one(_user_with_email("greylist-me@example.com"))

    assert delivery_send(delivery_id=refused.pk) == DeliveryStatus.FAILED
    assert delivery_send(delivery_id=greylisted.pk) == DeliveryStatus.PENDING

    refused.refresh_from_db()
    greylisted.refresh_from_db()
    assert "550" in refused.last_error
    assert "450" in greylisted.last_error and greylisted.next_attempt_at > timezone.now()
    assert smtp.messages() == []


def test_a_server_that_never_answers_times_out_and_is_retried(settings, merchant_a):
    """A hung server (it takes the connection but never greets) costs one EMAIL_TIMEOUT, not a worker."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        settings.MAILERS = smtp_mailer(hung.getsockname()[1])
        settings.MAILERS["default"]["OPTIONS"]["timeout"] = 1
        delivery = _notify_one(merchant_a.owner)
        started = time_module.monotonic()
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING
        assert time_module.monotonic() - started < 5
    delivery.refresh_from_db()
    assert "timed out" in delivery.last_error and delivery.next_attempt_at > timezone.now()


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), DeliveryGone),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (452, b"mailbox full")}), DeliveryRetry),
        (smtplib.SMTPDataError(554, b"message rejected as spam"), DeliveryGone),
        (smtplib.SMTPDataError(451, b"local error in processing"), DeliveryRetry),
        (smtplib.SMTPSenderRefused(550, b"sender not allowed", "noreply@c2m.example"), DeliveryGone),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), DeliveryGone),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), DeliveryRetry),
        (smtplib.SMTPConnectError(554, b"no service"), DeliveryRetry),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), DeliveryRetry),
        (ConnectionRefusedError(111, "Connection refused"), DeliveryRetry),
        (TimeoutError("timed out"), DeliveryRetry),
    ],
)
def test_what_each_smtp_failure_means(error, outcome):
    assert type(email_channel.outcome(error)) is outcome


def test_a_delivery_decided_in_quiet_hours_waits_for_their_end(smtp, merchant_a):
    owner = merchant_a.owner
    now = timezone.localtime()
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    preference_update(
        user=owner,
        changes={"quiet_hours_start": start.replace(microsecond=0), "quiet_hours_end": end.replace(microsecond=0)},
    )

    delivery = _notify_one(owner)

    expected_end = timezone.make_aware(
        datetime.combine((now + timedelta(hours=1)).date(), end.replace(microsecond=0)), timezone.get_current_timezone()
    )
    assert delivery.next_attempt_at == expected_end
    assert delivery_send(delivery_id=delivery.pk) == ""  # inside quiet hours: not due
    assert deliveries_due() == 0
    assert smtp.messages() == []

    # The quiet hours end (the clock reaches next_attempt_at): the sweeper's next round sends it.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=3))
    assert deliveries_due() == 1
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert len(smtp.messages()) == 1


def test_quiet_hours_do_not_hold_back_a_delivery_decided_outside_them(smtp, merchant_a):
    now = timezone.localtime()
    start, end = (now + timedelta(hours=1)).time(), (now + timedelta(hours=2)).time()
    preference_update(
        user=merchant_a.owner,
        changes={"quiet_hours_start": start.replace(microsecond=0), "quiet_hours_end": end.replace(microsecond=0)},
    )
    delivery = _notify_one(merchant_a.owner)
    assert delivery.next_attempt_at <= timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT


def test_no_mail_when_e_mail_is_off_or_the_kind_is_muted(merchant_a, merchant_b):
    preference_update(user=merchant_a.owner, changes={"email_enabled": False})
    preference_update(user=merchant_b.owner, changes={"muted_kinds": ["order.cancelled"]})
    for user in (merchant_a.owner, merchant_b.owner):
        (notification,) = notify(
            kind="order.cancelled", recipients=[user], key="order.cancelled:9", data={"order_id": 9}, url="/orders/9/"
        )
        assert not Delivery.objects.filter(notification=notification, channel="email").exists()
    # The inbox still has both, and an unmuted kind still goes out by e-mail.
    assert Notification.objects.filter(kind="order.cancelled").count() == 2
    (shipped,) = notify(kind="order.shipped", recipients=[merchant_b.owner], key="order.shipped:9", data={}, url="")
    assert Delivery.objects.filter(notification=shipped, channel="email").count() == 1


def test_a_user_without_an_address_gets_no_mail_delivery():
    owner = _user_with_email("")
    (notification,) = notify(kind="order.shipped", recipients=[owner], key="order.shipped:1", data={}, url="")
    assert not Delivery.objects.filter(notification=notification, channel="email").exists()


# --- with a real worker --------------------------------------------------------------------------


def _mails(server: SmtpServer, *, to: str, kind: str) -> list[EmailMessage]:
    return [
        r["message"]
        for r in received(server.out)
        if r["rcpt_tos"] == [to] and r["message"]["X-C2M-Notification-Kind"] == kind
    ]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_a_worker_mails_the_merchant_once_and_a_mail_decided_while_the_server_is_down_arrives_once(tmp_path):
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    server = SmtpServer(port=free_port(), out=tmp_path / "mail.jsonl")
    server.start()
    worker_env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(server.port),
        "EMAIL_TIMEOUT": "5",
        "SITE_URL": "https://c2m.example",
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "NOTIFY_RETRY_MAX_SECONDS": "2",
    }
    try:
        with running_workers(1, log_dir=tmp_path, extra_env=worker_env):
            merchant = mf.make_merchant()
            factory = mf.make_factory()
            email = merchant.owner.email
            order = mf.make_order(merchant)  # posted: the worker matches it and offers it to the factory
            offer = wait_for(
                lambda: order.allocations.filter(status=AllocationStatus.OFFERED).first(),
                timeout=30,
                message="the offer",
            )
            offer_accept(allocation_id=offer.pk, factory=factory)

            confirmed = wait_for(
                lambda: _mails(server, to=email, kind="order.confirmed"), timeout=30, message="the confirmation"
            )
            assert confirmed[0]["Subject"] == f"Order #{order.pk} confirmed: {order.title}"
            assert f"https://c2m.example/orders/{order.pk}/" in parts(confirmed[0])[1]

            # The mail server goes down; production starts meanwhile and the merchant is to be told.
            server.stop()
            allocation_report_progress(allocation_id=offer.pk, factory=factory, stage=Stage.CUT, quantity=50)

            def failed_attempt() -> Delivery | None:
                return Delivery.objects.filter(
                    notification__kind="order.in_production", channel="email", attempts__gte=1, status="pending"
                ).first()

            waiting = wait_for(failed_attempt, timeout=30, message="a failed attempt while the server is down")
            assert waiting.last_error
            time_module.sleep(5)  # down for a while: retries keep failing, nothing is lost
            waiting.refresh_from_db()
            assert waiting.status == DeliveryStatus.PENDING

            server.start()

            def arrived() -> list[EmailMessage]:
                deliveries_due()  # what the beat sweeper does every few seconds
                return _mails(server, to=email, kind="order.in_production")

            wait_for(arrived, timeout=30, interval=1.0, message="the mail after the server came back")
            wait_until_quiet(timeout=30)
            deliveries_due()
            wait_until_quiet(timeout=30)
            assert len(_mails(server, to=email, kind="order.in_production")) == 1
            assert len(_mails(server, to=email, kind="order.confirmed")) == 1
            waiting.refresh_from_db()
            assert waiting.status == DeliveryStatus.SENT and waiting.attempts >= 2
            # The purchase order issued on the accept is mailed too, once.
            assert len(_mails(server, to=email, kind="purchase_order.issued")) == 1
            assert Delivery.objects.filter(channel="email", status="sent", target=email).count() == 3
    finally:
        server.stop()

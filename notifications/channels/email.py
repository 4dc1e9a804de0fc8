"""E-mail: one notification as a text and HTML message in the reader's language, through Django's mailer.

The Message-ID is the delivery's idempotency key, the same on every attempt, so a resend after a worker
died between the send and its record is recognisable as the same message. How an SMTP failure ends:
the server down, slow or busy (connection refused, timeouts, 4xx) is retried; a 5xx refusal of the
address or the message (or a feature the message needs and the server lacks) will not improve and
fails the delivery for good.
"""

from __future__ import annotations

import smtplib
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import translation

from notifications import catalogue
from notifications.channels import DeliveryGone, DeliveryRetry, register

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from notifications.models import Delivery, Notification, NotificationPreference

MAILER = "default"
PREFERENCES_PATH = "/notifications/preferences/"
TEMPLATE = "notifications/email/notification"


class EmailChannel:
    name = catalogue.EMAIL

    def targets(self, *, notification: Notification, user: User, preference: NotificationPreference) -> list[str]:
        return [user.email] if user.email else []

    def send(self, *, delivery: Delivery, notification: Notification, user: User) -> None:
        message = compose(delivery=delivery, notification=notification, user=user)
        try:
            sent = mailers[MAILER].send_messages([message])
        except OSError as exc:  # smtplib's errors are OSErrors too
            raise outcome(exc) from exc
        if not sent:
            raise DeliveryRetry("the mailer sent nothing")


def compose(*, delivery: Delivery, notification: Notification, user: User) -> EmailMultiAlternatives:
    """The message for one delivery, rendered in the recipient's language (subject, template strings, body)."""
    preferences_url = f"{settings.SITE_URL}{PREFERENCES_PATH}"
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title, body = catalogue.render(notification.kind, notification.data)
        context = {
            "title": title,
            "body": body,
            "label": str(catalogue.KINDS[notification.kind].label) if notification.kind in catalogue.KINDS else "",
            "action_url": absolute(notification.url),
            "preferences_url": preferences_url,
            "site_url": settings.SITE_URL,
            "user": user,
        }
        text = render_to_string(f"{TEMPLATE}.txt", context)
        html = render_to_string(f"{TEMPLATE}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(title.split()),  # a header: no line breaks from the data
        body=text,
        to=[delivery.target],
        headers={
            "Message-ID": f"<{delivery.idempotency_key}@{_message_id_domain()}>",
            "X-C2M-Notification-Kind": notification.kind,
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{preferences_url}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def outcome(exc: OSError) -> DeliveryRetry | DeliveryGone:
    """What an SMTP failure means for the delivery: try again later, or never."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return DeliveryGone(f"address refused: {exc.recipients}")
        return DeliveryRetry(f"address refused for now: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryGone(f"the server cannot take this message: {exc}")
    # Refusals of the sender or the data: 4xx is "not now", 5xx is "never" for this message. Greeting
    # and login failures are the server's or our configuration's, retried until fixed.
    server_side = smtplib.SMTPConnectError | smtplib.SMTPAuthenticationError | smtplib.SMTPHeloError
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, server_side) and exc.smtp_code >= 500:
        return DeliveryGone(f"refused: {exc.smtp_code} {exc.smtp_error!r}")
    return DeliveryRetry(f"{type(exc).__name__}: {exc}")


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path or '/'}"


def _message_id_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or str(DNS_NAME)


register(EmailChannel())

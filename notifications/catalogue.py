"""The catalogue of notifications: what each kind says, to whom, where it leads, on which channels.

A kind's title and body are gettext strings with %(name)s placeholders filled from the notification's
`data`; they are rendered in the reader's language when read (the inbox) or sent (e-mail, push), so one
stored notification reads in Chinese to one user and in English to another.

Adding a kind is one `Kind(...)` entry here and one `notify(...)` call where it happens (a handler of a
domain event, a beat task or a service): later issues (counter-offers, samples, messages, payments,
claims) add theirs the same way.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FACTORY = "factory"
MERCHANT = "merchant"
ADMIN = "admin"
# Both parties of an order (its merchant and a factory of it): messages between them.
PARTIES = "parties"

EMAIL = "email"
PUSH = "push"
DELIVERY_CHANNELS = (EMAIL, PUSH)


@dataclass(frozen=True)
class Kind:
    key: str
    audience: str
    title: Promise
    body: Promise
    # Delivery channels it goes out on by default (the inbox and the live pages always get it).
    channels: frozenset[str] = frozenset({EMAIL, PUSH})
    # Pushed even when the user muted the kind: only turning push off altogether stops it (offers).
    always_push: bool = False
    # The type a merchant's webhook receives (merchant kinds about an order), e.g. "order.confirmed".
    webhook_type: str = ""
    label: Promise = field(default_factory=lambda: _("Notification"))

    def is_for(self, audience: str) -> bool:
        """Is this kind told to (and so mutable by) users of `audience`?"""
        return self.audience == audience or (self.audience == PARTIES and audience in (MERCHANT, FACTORY))


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {k.key: k for k in kinds}


KINDS: dict[str, Kind] = _kinds(
    # --- factories ------------------------------------------------------------------------------
    Kind(
        "offer.received",
        FACTORY,
        _("New offer: %(quantity)s pcs of %(title)s"),
        _("Order #%(order_id)s: %(quantity)s pieces at ¥%(unit_price)s, ship by %(ship_by)s. Answer by %(expires)s."),
        always_push=True,
        label=_("New offer"),
    ),
    Kind(
        "offer.expiring",
        FACTORY,
        _("Offer ends in %(minutes)s min: %(title)s"),
        _("%(quantity)s pieces of order #%(order_id)s are still waiting for your answer, until %(expires)s."),
        channels=frozenset({PUSH}),
        always_push=True,
        label=_("Offer about to expire"),
    ),
    Kind(
        "offer.withdrawn",
        FACTORY,
        _("Offer withdrawn: %(title)s"),
        _("The offer of %(quantity)s pieces of order #%(order_id)s is no longer open. %(reason)s"),
        label=_("Offer withdrawn"),
    ),
    Kind(
        "share.cancelled",
        FACTORY,
        _("Job cancelled: %(title)s"),
        _(
            "Your %(quantity)s pieces of order #%(order_id)s are cancelled; "
            "the booked minutes are free again. %(reason)s"
        ),
        label=_("Job cancelled"),
    ),
    Kind(
        "share.rerouted",
        FACTORY,
        _("Job moved to another factory: %(title)s"),
        _("%(quantity)s pieces of order #%(order_id)s were re-routed away from you. %(reason)s"),
        label=_("Job re-routed"),
    ),
    Kind(
        "capacity.changed",
        FACTORY,
        _("Your capacity was updated from the floor's output"),
        _(
            "%(days)s working days from %(first)s now hold %(minutes)s sewing minutes a day "
            "(efficiency %(efficiency)s)."
        ),
        channels=frozenset({EMAIL}),
        label=_("Capacity changed"),
    ),
    Kind(
        "factory.verified",
        FACTORY,
        _("%(name)s is verified"),
        _("An admin checked your factory: you receive offers from now on."),
        label=_("Factory verified"),
    ),
    Kind(
        "factory.paused",
        FACTORY,
        _("%(name)s is paused"),
        _("Your factory receives no offers while paused; open offers and unstarted jobs went to others. %(reason)s"),
        label=_("Factory paused"),
    ),
    # --- merchants ------------------------------------------------------------------------------
    Kind(
        "order.created",
        MERCHANT,
        _("Order #%(order_id)s posted: %(title)s"),
        _("%(quantity)s pieces due %(due_date)s. Matching has started."),
        channels=frozenset(),
        webhook_type="order.created",
        label=_("Order posted"),
    ),
    Kind(
        "order.offered",
        MERCHANT,
        _("Order #%(order_id)s offered to factories"),
        _("%(title)s is with %(factories)s factory offer(s); you are told as soon as it is confirmed."),
        channels=frozenset(),
        webhook_type="order.offered",
        label=_("Order offered"),
    ),
    Kind(
        "order.confirmed",
        MERCHANT,
        _("Order #%(order_id)s confirmed: %(title)s"),
        _("Every piece has a factory: %(factories)s."),
        webhook_type="order.confirmed",
        label=_("Order confirmed"),
    ),
    Kind(
        "order.unmatched",
        MERCHANT,
        _("Order #%(order_id)s could not be placed: %(title)s"),
        _(
            "%(reason)s %(capable)s factories can make it, %(in_time)s with room before the due date; "
            "earliest safe due date %(earliest_due)s."
        ),
        webhook_type="order.unmatched",
        label=_("Order unmatched"),
    ),
    Kind(
        "order.matching",
        MERCHANT,
        _("Order #%(order_id)s is being matched again: %(title)s"),
        _("%(reason)s"),
        webhook_type="order.matching",
        label=_("Order matched again"),
    ),
    Kind(
        "order.in_production",
        MERCHANT,
        _("Order #%(order_id)s is in production: %(title)s"),
        _("Cutting and sewing have started."),
        webhook_type="order.in_production",
        label=_("Order in production"),
    ),
    Kind(
        "order.shipped",
        MERCHANT,
        _("Order #%(order_id)s shipped: %(title)s"),
        _("On its way: %(shipments)s."),
        webhook_type="order.shipped",
        label=_("Order shipped"),
    ),
    Kind(
        "order.delivered",
        MERCHANT,
        _("Order #%(order_id)s delivered: %(title)s"),
        _("You confirmed receipt. Re-order it in one step from the order's page."),
        webhook_type="order.delivered",
        label=_("Order delivered"),
    ),
    Kind(
        "order.cancelled",
        MERCHANT,
        _("Order #%(order_id)s cancelled: %(title)s"),
        _("%(reason)s"),
        webhook_type="order.cancelled",
        label=_("Order cancelled"),
    ),
    Kind(
        "order.share_declined",
        MERCHANT,
        _("A factory passed on part of order #%(order_id)s"),
        _("%(factory)s will not make %(quantity)s pieces of %(title)s; they are being offered to another factory."),
        channels=frozenset({EMAIL}),
        webhook_type="order.share_declined",
        label=_("Share declined and re-routed"),
    ),
    Kind(
        "order.deadline_risk",
        MERCHANT,
        _("Order #%(order_id)s may ship late: %(title)s"),
        _(
            "%(factory)s is projected to finish on %(projected)s, after its ship-by date %(ship_by)s. "
            "You may have the rest re-routed."
        ),
        webhook_type="order.deadline_risk_raised",
        label=_("Deadline risk raised"),
    ),
    Kind(
        "order.deadline_risk_resolved",
        MERCHANT,
        _("Order #%(order_id)s is back on schedule: %(title)s"),
        _("%(factory)s is on track for its ship-by date %(ship_by)s again."),
        webhook_type="order.deadline_risk_resolved",
        label=_("Deadline risk resolved"),
    ),
    Kind(
        "webhook.disabled",
        MERCHANT,
        _("Webhook endpoint disabled: %(url)s"),
        _("Every delivery to it failed for a day (last: %(error)s). Fix the receiver, then enable it again."),
        channels=frozenset({EMAIL}),
        label=_("Webhook endpoint disabled"),
    ),
    # --- both parties to a confirmed share (contracts) -------------------------------------------
    # Told to the order's merchant and to the share's factory; listed with the merchant's kinds.
    Kind(
        "purchase_order.issued",
        MERCHANT,
        _("Purchase order %(number)s: %(title)s"),
        _(
            "%(quantity)s pieces of order #%(order_id)s at %(unit_price)s %(currency)s (total %(total)s), "
            "ship by %(ship_by)s, between %(buyer)s and %(supplier)s. The PDF is on the order's page."
        ),
        channels=frozenset({EMAIL}),
        label=_("Purchase order issued"),
    ),
    # --- the deal: counter-offers and samples (matching.services.counters / samples) --------------
    Kind(
        "offer.countered",
        MERCHANT,
        _("Counter-offer on order #%(order_id)s: %(title)s"),
        _(
            "%(factory)s asks ¥%(counter_price)s a piece (your target ¥%(target_price)s)%(counter_date)s. "
            "%(note)s Answer by %(counter_expires)s."
        ),
        label=_("Counter-offer received"),
    ),
    Kind(
        "counter.accepted",
        FACTORY,
        _("Counter-offer accepted: %(title)s"),
        _("The merchant took your ¥%(counter_price)s for %(quantity)s pieces of order #%(order_id)s."),
        label=_("Counter-offer accepted"),
    ),
    Kind(
        "counter.rejected",
        FACTORY,
        _("Counter-offer declined: %(title)s"),
        _("The merchant kept to its terms for order #%(order_id)s; the booked minutes are free again. %(reason)s"),
        label=_("Counter-offer declined"),
    ),
    Kind(
        "sample.shipped",
        MERCHANT,
        _("Sample shipped for order #%(order_id)s: %(title)s"),
        _("%(factory)s sent sample round %(round_no)s by %(carrier)s (%(tracking)s). Approve it or ask for changes."),
        label=_("Sample shipped"),
    ),
    Kind(
        "sample.approved",
        FACTORY,
        _("Sample approved: %(title)s"),
        _("The merchant approved your sample: the bulk of %(quantity)s pieces of order #%(order_id)s goes ahead."),
        label=_("Sample approved"),
    ),
    Kind(
        "sample.changes_requested",
        FACTORY,
        _("Sample changes requested: %(title)s"),
        _("Round %(round_no)s of order #%(order_id)s: %(comment)s"),
        label=_("Sample changes requested"),
    ),
    Kind(
        "sample.rejected",
        FACTORY,
        _("Sample rejected: %(title)s"),
        _("The merchant rejected your sample for order #%(order_id)s; the booked minutes are free again. %(comment)s"),
        label=_("Sample rejected"),
    ),
    # --- platform admins -------------------------------------------------------------------------
    Kind(
        "factory.awaiting_verification",
        ADMIN,
        _("Factory awaiting verification: %(name)s"),
        _("%(name)s (%(region)s) signed up and waits to be checked."),
        channels=frozenset({EMAIL}),
        label=_("Factory awaiting verification"),
    ),
    Kind(
        "market.orders_stuck",
        ADMIN,
        _("%(count)s orders unmatched or stuck"),
        _("%(unmatched)s unmatched and %(stuck)s stuck in matching (alert at %(threshold)s)."),
        channels=frozenset({EMAIL}),
        label=_("Orders stuck or unmatched"),
    ),
    # --- both parties of an order -------------------------------------------------------------
    Kind(
        "message.received",
        PARTIES,
        _("New message: %(title)s"),
        _("Order #%(order_id)s: %(excerpt)s"),
        label=_("New message"),
    ),
)


def kind_named(key: str) -> Kind:
    return KINDS[key]


class _Missing(dict[str, Any]):
    """A placeholder the data lacks renders empty rather than breaking a whole inbox page."""

    def __missing__(self, key: str) -> str:
        return ""


def render(kind_key: str, data: dict[str, Any], *, language: str | None = None) -> tuple[str, str]:
    """(title, body) of a notification, in `language` (or the active one)."""
    kind = KINDS.get(kind_key)
    if kind is None:
        return kind_key, ""
    values = _Missing(data)
    with translation.override(language) if language else nullcontext():
        return (str(kind.title) % values).strip(), (str(kind.body) % values).strip()

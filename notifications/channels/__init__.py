"""The channel interface: how a notification leaves the platform (e-mail, Web Push; SMS or WeChat later).

A delivery channel names the targets a notification goes to for one user (an address, each push
subscription) and sends one delivery to one target. `notifications.services.deliver` owns everything
else: the Delivery row, claiming it, retries with backoff, giving up, never sending a sent one again.
A channel only says how a send ended: returning is success, `DeliveryRetry` a failure worth trying
again (server down, timeout, 5xx), `DeliveryGone` a target that will never take it (push 404/410).

Observers are told, inside the transaction that created them, of new notifications: the live pages'
doorbell and the merchants' webhooks (an upper app) register one.

A new channel: a module with a class implementing `Channel`, `register(...)`d when the module is
imported (`NotificationsConfig.ready` imports this package's modules), and a choice in `models.Channel`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from notifications.models import Delivery, Notification, NotificationPreference


class DeliveryRetry(Exception):
    """The send failed for now; the delivery is tried again later."""


class DeliveryGone(Exception):
    """The target will never take it (an unsubscribed push endpoint): the delivery fails for good."""


class Channel(Protocol):
    name: str

    def targets(self, *, notification: Notification, user: User, preference: NotificationPreference) -> list[str]:
        """Where `notification` goes to `user` on this channel (empty: nowhere). Preferences are checked before."""
        ...

    def send(self, *, delivery: Delivery, notification: Notification, user: User) -> None:
        """Send one delivery; return on success, raise DeliveryRetry or DeliveryGone otherwise."""
        ...


Observer = Callable[[Sequence["Notification"]], None]

_channels: dict[str, Channel] = {}
_observers: dict[str, Observer] = {}


def register(channel: Channel) -> Channel:
    _channels[channel.name] = channel
    return channel


def channel_named(name: str) -> Channel | None:
    return _channels.get(name)


def channels() -> list[Channel]:
    return list(_channels.values())


def on_notified(func: Observer) -> Observer:
    """Register `func` to be called with the notifications just created, in their transaction."""
    _observers[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def observers() -> list[Observer]:
    return list(_observers.values())

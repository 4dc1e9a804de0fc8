"""Account reads: who the caller is, with the organisation it acts for."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.accounts.models import Merchant, User
from marketplace.errors import NotFound


@dataclass(frozen=True)
class Identity:
    """The caller as the API describes it: one role, and the merchant or factory it acts for."""

    id: int
    username: str
    email: str
    role: str
    merchant_id: int | None
    factory_id: int | None


def identity_for(*, user: User) -> Identity:
    """One query: the org ids come from reverse one-to-ones, read by id rather than by loading each row."""
    row = User.objects.filter(pk=user.pk).values("id", "username", "email", "role", "merchant__id", "factory__id").get()
    return Identity(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        role=row["role"],
        merchant_id=row["merchant__id"],
        factory_id=row["factory__id"],
    )


def merchant_of(user: User) -> Merchant:
    """The merchant organisation a merchant-role user runs, or NotFound."""
    merchant = Merchant.objects.filter(owner=user).first()
    if merchant is None:
        raise NotFound("No merchant profile for this account.")
    return merchant

"""Builders for tests: real rows through the real services, with sensible garment-trade defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from factories.models import Category, Fabric, Factory, Process, Region
from factories.services import FactoryProfile, factory_register, factory_verify
from marketplace.accounts.models import Merchant, Role, User
from marketplace.accounts.services import merchant_register, token_for
from orders.models import Order
from orders.services import OrderInput, order_create

PASSWORD = "Sturdy-Passw0rd!"
_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def make_merchant(*, name: str | None = None, region: str = "hangzhou") -> Merchant:
    username = unique("merchant")
    return merchant_register(
        username=username, password=PASSWORD, email=f"{username}@example.com", name=name or username, region_code=region
    )


def make_admin() -> User:
    return User.objects.create_superuser(username=unique("admin"), password=PASSWORD, email="admin@example.com")


def make_factory(
    *,
    name: str | None = None,
    region: str = "hangzhou",
    categories: tuple[str, ...] = ("tshirt", "shirt", "dress"),
    processes: tuple[str, ...] = ("cutting", "sewing", "finishing"),
    fabrics: tuple[str, ...] = ("knit", "woven"),
    operators: int = 10,
    minutes_per_day: int = 480,
    efficiency: str = "0.50",
    min_qty: int = 50,
    max_qty: int = 5000,
    price_per_minute: str = "0.800",
    weekdays: str = "1234567",
    active: bool = True,
    **extra: Any,
) -> Factory:
    """A factory; 10 operators x 480 min x 50% = 2,400 sewing minutes a day by default, every day."""
    username = unique("factory")
    profile = FactoryProfile(
        name=name or username,
        region=Region.objects.get(pk=region),
        categories=list(Category.objects.filter(pk__in=categories)),
        processes=list(Process.objects.filter(pk__in=processes)),
        fabrics=list(Fabric.objects.filter(pk__in=fabrics)),
        sewing_operators=operators,
        minutes_per_day=minutes_per_day,
        efficiency=Decimal(efficiency),
        min_order_qty=min_qty,
        max_order_qty=max_qty,
        price_per_minute=Decimal(price_per_minute),
        working_weekdays=weekdays,
    )
    factory = factory_register(username=username, password=PASSWORD, email=f"{username}@example.com", profile=profile)
    if active:
        factory = factory_verify(factory_id=factory.pk)
    for key, value in extra.items():
        setattr(factory, key, value)
    if extra:
        factory.save()
    return factory


def due_in(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def make_order(
    merchant: Merchant,
    *,
    category: str = "tshirt",
    fabric: str = "knit",
    processes: tuple[str, ...] = ("cutting", "sewing"),
    quantity: int = 200,
    sizes: dict[str, int] | None = None,
    breakdown: list[dict[str, Any]] | None = None,
    due_days: int = 14,
    price: str = "25.00",
    sam: str | None = "10.00",
    lead_days: int | None = 1,
    idempotency_key: str | None = None,
) -> Order:
    """An order; by default 200 t-shirts at 10 SAM = 2,000 minutes, material in 1 day, due in 14."""
    data = OrderInput(
        title=unique("Style "),
        category=Category.objects.get(pk=category),
        fabric=Fabric.objects.get(pk=fabric),
        quantity=quantity,
        due_date=due_in(due_days),
        target_unit_price=Decimal(price),
        processes=tuple(Process.objects.filter(pk__in=processes)),
        sizes=sizes if sizes is not None else ({} if breakdown else {"M": quantity}),
        breakdown=list(breakdown or []),
        sam_override=Decimal(sam) if sam is not None else None,
        material_lead_days=lead_days,
    )
    order, _ = order_create(merchant=merchant, data=data, idempotency_key=idempotency_key)
    return order


def auth_header(user: User) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Token {token_for(user=user)}"}


__all__ = ["PASSWORD", "Role", "auth_header", "due_in", "make_admin", "make_factory", "make_merchant", "make_order"]

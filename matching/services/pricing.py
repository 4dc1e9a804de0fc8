"""Price learning: what each factory really asks per SAM minute, from its counters and accepted terms.

The level is an exponentially weighted mean of unit price / minutes per piece (and of the absolute
deviation from it, for the typical range the merchant sees). The engine's price term quotes with it
(`matching.selectors.active_factory_states`) instead of the profile's `price_per_minute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from factories.models import Factory
from matching.models import FactoryPriceLevel
from orders.models import Order
from orders.services import order_minutes_per_piece

# Weight of the newest observation: about the last five deals dominate, an old price fades.
PRICE_LEARNING_RATE = Decimal("0.3")
# Before any deal, the typical range is the profile's price +/- this share of it.
DEFAULT_SPREAD = Decimal("0.10")
PER_MINUTE = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceRange:
    """A factory's typical unit price for one order (low, expected, high), per piece."""

    low: Decimal
    typical: Decimal
    high: Decimal
    learned: bool


def price_observe(*, factory_id: int, order: Order, unit_price: Decimal) -> FactoryPriceLevel:
    """Fold one asked or agreed unit price into the factory's level. Locks the level row (last in lock order)."""
    minutes = order_minutes_per_piece(order)
    observed = (unit_price / minutes).quantize(PER_MINUTE, rounding=ROUND_HALF_UP)
    level, created = FactoryPriceLevel.objects.select_for_update().get_or_create(
        factory_id=factory_id, defaults={"price_per_minute": observed, "observations": 1}
    )
    if created:
        return level
    rate = PRICE_LEARNING_RATE
    deviation = abs(observed - level.price_per_minute)
    level.price_per_minute = (rate * observed + (1 - rate) * level.price_per_minute).quantize(PER_MINUTE)
    level.deviation_per_minute = (rate * deviation + (1 - rate) * level.deviation_per_minute).quantize(PER_MINUTE)
    level.observations += 1
    level.save(update_fields=["price_per_minute", "deviation_per_minute", "observations", "updated_at"])
    return level


def price_range(*, factory: Factory, order: Order, level: FactoryPriceLevel | None = None) -> PriceRange:
    """The factory's typical unit price for this order: its learned level +/- the learned deviation."""
    minutes = order_minutes_per_piece(order)
    if level is None:
        level = FactoryPriceLevel.objects.filter(factory=factory).first()
    if level is None:
        ppm = factory.price_per_minute
        spread = ppm * DEFAULT_SPREAD
    else:
        ppm, spread = level.price_per_minute, level.deviation_per_minute
    return PriceRange(
        low=max(Decimal("0"), (ppm - spread) * minutes).quantize(CENT),
        typical=(ppm * minutes).quantize(CENT),
        high=((ppm + spread) * minutes).quantize(CENT),
        learned=level is not None,
    )

"""Reads for the pages, scoped to the caller: a merchant's orders, a factory's offers and jobs, the market.

Every query that takes an id also takes the caller's merchant or factory, so another tenant's
id raises Http404 exactly like a missing one. One module per page family; the names the views use
are re-exported here.
"""

from web.selectors.dashboard import market_dashboard
from web.selectors.factory import (
    factory_allocation_get,
    factory_history,
    factory_jobs,
    factory_load,
    factory_open_offers,
)
from web.selectors.merchant import (
    ORDER_PAGE_SIZE,
    merchant_order_counts,
    merchant_order_get,
    merchant_orders,
    order_page,
    order_progress_percent,
)
from web.selectors.progress import progress_for

__all__ = [
    "ORDER_PAGE_SIZE",
    "factory_allocation_get",
    "factory_history",
    "factory_jobs",
    "factory_load",
    "factory_open_offers",
    "market_dashboard",
    "merchant_order_counts",
    "merchant_order_get",
    "merchant_orders",
    "order_page",
    "order_progress_percent",
    "progress_for",
]

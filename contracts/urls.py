"""A confirmed share's purchase order, for its parties and admins."""

from django.urls import path

from contracts import apis

urlpatterns = [
    path(
        "allocations/<int:allocation_id>/purchase-order/",
        apis.PurchaseOrderApi.as_view(),
        name="purchase-order",
    ),
    path(
        "allocations/<int:allocation_id>/purchase-order.pdf",
        apis.PurchaseOrderPdfApi.as_view(),
        name="purchase-order-pdf",
    ),
]

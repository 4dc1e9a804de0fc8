"""Orders (the merchant's side) and allocations as jobs (the factory's side)."""

from django.urls import path

from orders import apis

urlpatterns = [
    path("orders/", apis.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<int:order_id>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:order_id>/receive/", apis.OrderReceiveApi.as_view(), name="order-receive"),
    path("orders/<int:order_id>/repeat/", apis.OrderRepeatApi.as_view(), name="order-repeat"),
    path("orders/<int:order_id>/rematch/", apis.OrderRematchApi.as_view(), name="order-rematch"),
    path("allocations/", apis.JobListApi.as_view(), name="allocation-list"),
    path("allocations/<int:allocation_id>/progress/", apis.AllocationProgressApi.as_view(), name="allocation-progress"),
    path("allocations/<int:allocation_id>/ship/", apis.AllocationShipApi.as_view(), name="allocation-ship"),
]

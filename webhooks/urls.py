"""The webhooks API (endpoints, deliveries, redelivery, secret rotation)."""

from django.urls import path

from webhooks import apis

urlpatterns = [
    path("webhooks/", apis.EndpointListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<int:endpoint_id>/", apis.EndpointDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:endpoint_id>/rotate-secret/",
        apis.EndpointSecretRotateApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path("webhooks/<int:endpoint_id>/deliveries/", apis.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        apis.DeliveryRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
]

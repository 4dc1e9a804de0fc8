"""The webhooks API (endpoints, deliveries, redelivery, secret rotation)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []

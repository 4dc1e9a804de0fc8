"""Offers (a factory's answers) and the match explanation of an order."""

from django.urls import path

from matching import apis

urlpatterns = [
    path("offers/", apis.OfferListApi.as_view(), name="offer-list"),
    path("offers/<int:allocation_id>/", apis.OfferDetailApi.as_view(), name="offer-detail"),
    path("offers/<int:allocation_id>/accept/", apis.OfferAcceptApi.as_view(), name="offer-accept"),
    path("offers/<int:allocation_id>/decline/", apis.OfferDeclineApi.as_view(), name="offer-decline"),
    path("orders/feasibility/", apis.OrderFeasibilityApi.as_view(), name="order-feasibility"),
    path("orders/<int:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("factories/<int:factory_id>/calendar/", apis.FactoryCalendarApi.as_view(), name="factory-calendar"),
    path("orders/<int:order_id>/explanation/", apis.OrderExplanationApi.as_view(), name="order-explanation"),
]

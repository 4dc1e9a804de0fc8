"""Offers (a factory's answers) and the match explanation of an order."""

from django.urls import path

from matching import apis, deal_apis

urlpatterns = [
    path("offers/", apis.OfferListApi.as_view(), name="offer-list"),
    path("offers/<int:allocation_id>/", apis.OfferDetailApi.as_view(), name="offer-detail"),
    path("offers/<int:allocation_id>/accept/", apis.OfferAcceptApi.as_view(), name="offer-accept"),
    path("offers/<int:allocation_id>/decline/", apis.OfferDeclineApi.as_view(), name="offer-decline"),
    path("orders/feasibility/", apis.OrderFeasibilityApi.as_view(), name="order-feasibility"),
    path("orders/<int:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("factories/<int:factory_id>/calendar/", apis.FactoryCalendarApi.as_view(), name="factory-calendar"),
    path("orders/<int:order_id>/explanation/", apis.OrderExplanationApi.as_view(), name="order-explanation"),
    # the deal: counter-offers and samples
    path("offers/<int:allocation_id>/counter/", deal_apis.OfferCounterApi.as_view(), name="offer-counter"),
    path("allocations/<int:allocation_id>/counter/", deal_apis.AllocationCounterApi.as_view(), name="counter-detail"),
    path(
        "allocations/<int:allocation_id>/counter/accept/", deal_apis.CounterAcceptApi.as_view(), name="counter-accept"
    ),
    path(
        "allocations/<int:allocation_id>/counter/reject/", deal_apis.CounterRejectApi.as_view(), name="counter-reject"
    ),
    path("merchant/counter-rule/", deal_apis.MerchantCounterRuleApi.as_view(), name="merchant-counter-rule"),
    path("allocations/<int:allocation_id>/sample/", deal_apis.AllocationSampleApi.as_view(), name="sample-detail"),
    path("allocations/<int:allocation_id>/sample/ship/", deal_apis.SampleShipApi.as_view(), name="sample-ship"),
    path(
        "allocations/<int:allocation_id>/sample/approve/", deal_apis.SampleApproveApi.as_view(), name="sample-approve"
    ),
    path(
        "allocations/<int:allocation_id>/sample/request-changes/",
        deal_apis.SampleRequestChangesApi.as_view(),
        name="sample-request-changes",
    ),
    path("allocations/<int:allocation_id>/sample/reject/", deal_apis.SampleRejectApi.as_view(), name="sample-reject"),
]

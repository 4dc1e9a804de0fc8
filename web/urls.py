"""Page URLs, mounted at the site root (the API lives under /api/v1/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from web.views import (
    contracts,
    conversation,
    dashboard,
    deal,
    factory,
    merchant,
    notifications,
    pages,
    preferences,
    push,
    webhooks,
)

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
    path("signup/", merchant.signup, name="signup"),
    path("manifest.webmanifest", pages.manifest, name="manifest"),
    path("sw.js", push.service_worker, name="service_worker"),
    # merchant portal
    path("orders/", merchant.order_list, name="order_list"),
    path("orders/new/", merchant.order_new, name="order_new"),
    path("orders/feasibility/", merchant.order_feasibility, name="order_feasibility"),
    path("orders/<int:order_id>/", merchant.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", merchant.order_cancel_view, name="order_cancel"),
    path("orders/<int:order_id>/receive/", merchant.order_receive_view, name="order_receive"),
    path("orders/<int:order_id>/repeat/", merchant.order_repeat_view, name="order_repeat"),
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:endpoint_id>/toggle/", webhooks.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
    # factory phone pages
    path("factory/", factory.inbox, name="factory_inbox"),
    path("factory/offers/<int:allocation_id>/", factory.offer_detail, name="factory_offer"),
    path("factory/offers.json", factory.offers_poll, name="factory_offers_poll"),
    path("factory/offers/<int:allocation_id>/accept/", factory.offer_accept_view, name="factory_offer_accept"),
    path("factory/offers/<int:allocation_id>/decline/", factory.offer_decline_view, name="factory_offer_decline"),
    path("factory/jobs/", factory.jobs, name="factory_jobs"),
    path("factory/jobs/<int:allocation_id>/", factory.job_detail, name="factory_job"),
    path("factory/jobs/<int:allocation_id>/report/", factory.job_report, name="factory_job_report"),
    path("factory/jobs/<int:allocation_id>/ship/", factory.job_ship, name="factory_job_ship"),
    path("factory/history/", factory.history, name="factory_history"),
    path("factory/calendar/", factory.calendar, name="factory_calendar"),
    path("factory/calendar/<str:day>/", factory.calendar_day, name="factory_calendar_day"),
    # the in-app inbox (every role)
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/read-all/", notifications.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:notification_id>/read/", notifications.notification_read, name="notification_read"),
    # platform admin
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/factories/<int:factory_id>/verify/", dashboard.factory_verify_view, name="factory_verify"),
    # every signed-in user
    path("notifications/preferences/", preferences.notification_preferences, name="notification_preferences"),
    # an order's files and message threads (the merchant's order page, the factory's phone pages)
    path("orders/<int:order_id>/files/", conversation.order_file_upload, name="order_file_upload"),
    path("threads/<int:allocation_id>/", conversation.thread_post, name="thread_post"),
    # a confirmed share's purchase order (its merchant, its factory, admins)
    path("purchase-orders/<int:allocation_id>.pdf", contracts.purchase_order_pdf_view, name="purchase_order_pdf"),
    # the deal: counter-offers and samples (web.views.deal)
    path("factory/offers/<int:allocation_id>/counter/", deal.offer_counter_view, name="factory_offer_counter"),
    path("factory/samples/<int:allocation_id>/", deal.sample_page, name="factory_sample"),
    path("factory/samples/<int:allocation_id>/ship/", deal.sample_ship_view, name="factory_sample_ship"),
    path("orders/allocations/<int:allocation_id>/counter/accept/", deal.counter_accept_view, name="counter_accept"),
    path("orders/allocations/<int:allocation_id>/counter/reject/", deal.counter_reject_view, name="counter_reject"),
    path("orders/allocations/<int:allocation_id>/sample/approve/", deal.sample_approve_view, name="sample_approve"),
    path("orders/allocations/<int:allocation_id>/sample/changes/", deal.sample_changes_view, name="sample_changes"),
    path("orders/allocations/<int:allocation_id>/sample/reject/", deal.sample_reject_view, name="sample_reject"),
]

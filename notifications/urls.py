"""The notifications API: inbox, reading, preferences (push subscriptions: notifications.push_apis)."""

from django.urls import path

from notifications import apis, push_apis

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/read-all/", apis.NotificationReadAllApi.as_view(), name="notification-read-all"),
    path("notifications/<int:notification_id>/read/", apis.NotificationReadApi.as_view(), name="notification-read"),
    path("notification-preferences/", apis.NotificationPreferenceApi.as_view(), name="notification-preferences"),
    path("push-subscriptions/", push_apis.PushSubscriptionApi.as_view(), name="push-subscriptions"),
    path("push-subscriptions/public-key/", push_apis.PushPublicKeyApi.as_view(), name="push-subscriptions-public-key"),
]

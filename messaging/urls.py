"""Message threads, reached through an allocation (the order and the factory it names)."""

from django.urls import path

from messaging import apis

urlpatterns = [
    path("threads/", apis.ThreadListApi.as_view(), name="thread-list"),
    path("allocations/<int:allocation_id>/messages/", apis.AllocationMessagesApi.as_view(), name="allocation-messages"),
]

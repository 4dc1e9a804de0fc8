"""Files of an order and their content."""

from django.urls import path

from attachments import apis

urlpatterns = [
    path("orders/<int:order_id>/files/", apis.OrderFilesApi.as_view(), name="order-files"),
    path("files/<int:file_id>/", apis.FileContentApi.as_view(), name="file-content"),
]

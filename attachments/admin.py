from django.contrib import admin

from attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "order", "kind", "purpose", "name", "content_type", "size", "factory", "created_at")
    list_filter = ("kind", "purpose", "content_type")
    raw_id_fields = ("order", "factory", "uploaded_by")
    readonly_fields = [f.name for f in Attachment._meta.fields]

from django.contrib import admin

from messaging.models import Message, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "order", "factory", "created_at")
    raw_id_fields = ("order", "factory")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "thread", "side", "author", "masked", "created_at")
    list_filter = ("side", "masked")
    raw_id_fields = ("thread", "author", "attachments")
    readonly_fields = ("thread", "author", "side", "text", "original_text", "masked", "created_at")

"""Admin for logins and merchant organisations. The User admin is Django's, plus the role."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from marketplace.accounts.models import Merchant, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_active", "is_staff", "date_joined")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Marketplace", {"fields": ("role",)}))
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "role", "password1", "password2")}),)


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "region", "created_at")
    list_filter = ("region",)
    search_fields = ("name", "owner__username", "owner__email")
    list_select_related = ("owner", "region")
    raw_id_fields = ("owner",)
    date_hierarchy = "created_at"

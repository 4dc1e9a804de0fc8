"""Shapes of the accounts API: input serializers check types and ranges, output serializers shape answers.

Business rules (password strength, taken usernames) live in `marketplace.accounts.services`; the
serializers only make sure the service is called with well-typed values.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Model
from rest_framework import serializers

from marketplace.accounts.models import Merchant, Role, User

# The catalog's regions, reached through the merchant's own foreign key: the catalog lives in the
# factories layer above this one, which this module must not import.
REGION_MODEL = cast(type[Model], Merchant._meta.get_field("region").related_model)


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape of the API (documentation only; `marketplace.api.errors` produces it)."""

    code = serializers.CharField(help_text="Machine-readable code, e.g. validation_error, not_found, conflict.")
    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # the key of the error shape
        child=serializers.ListField(child=serializers.CharField()), help_text="{field: [messages]}"
    )
    error_codes = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo (`sewing_operater`) is a 400 naming it, not a silent no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for key in unknown}
                )
        return super().to_internal_value(data)


class CredentialsInputSerializer(StrictInputSerializer):
    """Username and password of an existing account."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class SignupAccountSerializer(StrictInputSerializer):
    """The login part of every sign-up; the service applies Django's password validators."""

    username = serializers.CharField(min_length=3, max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(min_length=1, max_length=128, trim_whitespace=False, write_only=True)
    email = serializers.EmailField(max_length=254)


class MerchantSignupInputSerializer(SignupAccountSerializer):
    """A merchant's owner account and shop name; `region` is where it ships from (optional)."""

    name = serializers.CharField(max_length=200)
    region: serializers.SlugRelatedField[Model] = serializers.SlugRelatedField(
        slug_field="code", queryset=REGION_MODEL._default_manager.all(), required=False, allow_null=True
    )


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    merchant_id = serializers.IntegerField(allow_null=True)
    factory_id = serializers.IntegerField(allow_null=True)


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "role"]
        read_only_fields = fields


class MerchantOutputSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField[Model] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    owner = UserOutputSerializer(read_only=True)

    class Meta:
        model = Merchant
        fields = ["id", "name", "region", "owner", "created_at"]
        read_only_fields = fields


class MerchantSignupOutputSerializer(MerchantOutputSerializer):
    """The new merchant plus a token, so a client can sign up and start posting in one round trip."""

    token = serializers.CharField(read_only=True)

    class Meta(MerchantOutputSerializer.Meta):
        fields = [*MerchantOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields

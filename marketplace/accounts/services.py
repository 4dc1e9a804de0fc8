"""Account writes: users (with Django's password validators) and merchant sign-up."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from marketplace.accounts.models import Merchant, Role, User
from marketplace.errors import ValidationFailed


def user_create(*, username: str, password: str, email: str, role: str, language: str | None = None) -> User:
    """Create a login. Weak passwords and taken usernames are refused with the field named.

    `language` (the sign-up request's) is what the user is written to in; one the site lacks is the default.
    """
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    candidate = User(username=username, email=email, role=role, language=language)
    try:
        validate_password(password, candidate)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password", code="weak_password") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed("This username is taken.", field="username", code="taken")
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError as exc:
        raise ValidationFailed("This username is taken.", field="username", code="taken") from exc
    return candidate


def merchant_register(
    *, username: str, password: str, email: str, name: str, region_code: str | None = None, language: str | None = None
) -> Merchant:
    with transaction.atomic():
        user = user_create(username=username, password=password, email=email, role=Role.MERCHANT, language=language)
        return Merchant.objects.create(owner=user, name=name, region_id=region_code)


def token_for(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def merchant_counter_rule_set(*, merchant: Merchant, pct: Decimal | None) -> Merchant:
    """The merchant's default rule: counter-offers up to +pct % of the target, no date change, are taken at once."""
    merchant.counter_auto_accept_pct = pct
    merchant.save(update_fields=["counter_auto_accept_pct"])
    return merchant

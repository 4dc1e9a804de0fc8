"""A user's notification preferences: channels on or off, kinds muted, quiet hours for e-mail, language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.errors import ValidationFailed
from notifications import catalogue
from notifications.models import NotificationPreference


def preference_update(*, user: User, changes: dict[str, Any]) -> NotificationPreference:
    """Change what the serializer accepted; rules across fields are checked here.

    `muted_kinds` must name kinds of the user's audience; quiet hours come both or neither.
    """
    audience = audience_of(user)
    muted = changes.get("muted_kinds")
    if muted is not None:
        unknown = sorted({k for k in muted if k not in catalogue.KINDS or not catalogue.KINDS[k].is_for(audience)})
        if unknown:
            raise ValidationFailed(
                f"Unknown notification kinds: {', '.join(unknown)}.", field="muted_kinds", code="invalid_choice"
            )
    language = changes.get("language")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValidationFailed(f"Unsupported language {language!r}.", field="language", code="invalid_choice")
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        for name in ("email_enabled", "push_enabled", "quiet_hours_start", "quiet_hours_end"):
            if name in changes:
                setattr(preference, name, changes[name])
        if muted is not None:
            preference.muted_kinds = sorted(set(muted))
        start, end = preference.quiet_hours_start, preference.quiet_hours_end
        if (start is None) != (end is None):
            field = "quiet_hours_end" if end is None else "quiet_hours_start"
            raise ValidationFailed("Quiet hours need both a start and an end.", field=field, code="required")
        preference.save()
        if language is not None and language != user.language:
            User.objects.filter(pk=user.pk).update(language=language)
            user.language = language
    return preference


def user_language_set(*, user: User, language: str) -> None:
    """The language switch of a signed-in user: pages and messages follow it."""
    if language in dict(settings.LANGUAGES) and language != user.language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def audience_of(user: User) -> str:
    if user.is_platform_admin:
        return catalogue.ADMIN
    return catalogue.FACTORY if user.role == catalogue.FACTORY else catalogue.MERCHANT

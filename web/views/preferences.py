"""Notification settings for every signed-in user, and the language switch that remembers the choice.

What can be muted is the user's audience's kinds (a factory's offers, a merchant's orders, an admin's
alerts) that go out by e-mail or push at all; offers are pushed even when muted (only turning push off
stops them), so muting an offer stops its e-mail. The rules are `notifications.services.preference_update`'s.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.i18n import set_language

from marketplace.accounts.models import User
from marketplace.errors import ValidationFailed
from notifications import catalogue
from notifications.services import audience_of, preference_of, preference_update, user_language_set
from web.views.common import error_text

TIME_INPUT = forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def mutable_kinds(audience: str) -> list[catalogue.Kind]:
    """The kinds muting changes anything for: sent by e-mail or push, not counting an offer's forced push."""
    return [
        k
        for k in catalogue.KINDS.values()
        if k.is_for(audience) and k.channels - ({catalogue.PUSH} if k.always_push else set())
    ]


class PreferencesForm(forms.Form):
    email_enabled = forms.BooleanField(label=gettext_lazy("Send me e-mails"), required=False)
    push_enabled = forms.BooleanField(label=gettext_lazy("Send me push notifications"), required=False)
    muted_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Do not send me"), required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_hours_start = forms.TimeField(label=gettext_lazy("From"), required=False, widget=TIME_INPUT)
    quiet_hours_end = forms.TimeField(label=gettext_lazy("Until"), required=False, widget=TIME_INPUT)
    language = forms.ChoiceField(label=gettext_lazy("Language of pages and messages"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, kinds: list[catalogue.Kind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.fields["muted_kinds"].choices = [(k.key, k.label) for k in kinds]  # type: ignore[attr-defined]

    def channel_fields(self) -> list[forms.BoundField]:
        return [self["email_enabled"], self["push_enabled"]]

    def quiet_hours_fields(self) -> list[forms.BoundField]:
        return [self["quiet_hours_start"], self["quiet_hours_end"]]

    def kind_boxes(self) -> list[tuple[Any, catalogue.Kind]]:
        """Each mute checkbox with its kind (the template notes the ones pushed anyway)."""
        return list(zip(self["muted_kinds"], self.kinds, strict=True))

    def always_pushed(self) -> bool:
        return any(k.always_push for k in self.kinds)


def _error(exc: ValidationFailed) -> str:
    messages_by_field = {
        "quiet_hours_start": _("Quiet hours need both a start and an end."),
        "quiet_hours_end": _("Quiet hours need both a start and an end."),
        "muted_kinds": _("Choose from the notifications listed."),
        "language": _("Choose one of the languages listed."),
    }
    return messages_by_field.get(exc.field or "", error_text(exc))


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    preference = preference_of(user)
    kinds = mutable_kinds(audience_of(user))
    shown = {k.key for k in kinds}
    initial = {
        "email_enabled": preference.email_enabled,
        "push_enabled": preference.push_enabled,
        "muted_kinds": [k for k in preference.muted_kinds if k in shown],
        "quiet_hours_start": preference.quiet_hours_start,
        "quiet_hours_end": preference.quiet_hours_end,
        "language": user.language,
    }
    form = PreferencesForm(request.POST or None, initial=initial, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        # Kinds muted through the API that this page does not offer stay muted.
        changes["muted_kinds"] = changes["muted_kinds"] + [k for k in preference.muted_kinds if k not in shown]
        try:
            preference_update(user=user, changes=changes)
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, _error(exc))
        else:
            translation.activate(user.language)
            messages.success(request, _("Your notification settings are saved."))
            response = redirect("web:notification_preferences")
            _remember_language(response, user.language)
            return response
    return render(request, "web/notifications/preferences.html", {"form": form})


def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the switch in every page's header, at /i18n/setlang/), and a signed-in user's
    choice kept on the account, so e-mails and pushes follow it. An unknown language changes nothing."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))  # type: ignore[arg-type]
    return response


def _remember_language(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )

"""The notification settings page (every signed-in user) and the language switch remembering the choice."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client

from marketplace.accounts.models import User
from notifications.models import NotificationPreference
from notifications.services import preference_update

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that collectstatic has not run; the test client serves no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

URL = "/notifications/preferences/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email_enabled": "on",
        "push_enabled": "on",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "language": "en",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_anonymous_is_sent_to_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_each_role_sees_its_own_kinds_with_labelled_controls(merchant_a, factory_x, admin_user) -> None:  # type: ignore[no-untyped-def]
    merchant_page = logged_in(merchant_a.owner).get(URL).content.decode()
    assert 'value="order.confirmed"' in merchant_page and 'value="offer.received"' not in merchant_page
    assert 'value="order.created"' not in merchant_page  # inbox only: muting it would change nothing
    assert '<label class="check" for="id_email_enabled">' in merchant_page
    assert 'for="id_quiet_hours_start"' in merchant_page and 'type="time"' in merchant_page
    assert "Offers are always pushed" not in merchant_page

    factory_page = logged_in(factory_x.owner).get(URL).content.decode()
    assert 'value="offer.received"' in factory_page and 'value="order.confirmed"' not in factory_page
    assert 'value="offer.expiring"' not in factory_page  # push only and always pushed: nothing to mute
    assert "offers are always pushed while push is on" in factory_page
    assert '<body class="phone">' in factory_page

    admin_page = logged_in(admin_user).get(URL).content.decode()
    assert 'value="factory.awaiting_verification"' in admin_page and 'value="order.confirmed"' not in admin_page


def test_the_page_shows_what_is_saved(merchant_a) -> None:  # type: ignore[no-untyped-def]
    preference_update(
        user=merchant_a.owner,
        changes={
            "push_enabled": False,
            "muted_kinds": ["order.shipped"],
            "quiet_hours_start": time(22, 0),
            "quiet_hours_end": time(7, 0),
        },
    )
    page = logged_in(merchant_a.owner).get(URL).content.decode()
    assert 'name="push_enabled" id="id_push_enabled">' in page  # unchecked
    assert 'name="email_enabled" id="id_email_enabled" checked>' in page
    assert 'value="order.shipped" id="id_muted_kinds_' in page
    assert 'value="22:00"' in page and 'value="07:00"' in page


def test_post_saves_through_the_service_and_keeps_kinds_muted_elsewhere(merchant_a) -> None:  # type: ignore[no-untyped-def]
    preference_update(user=merchant_a.owner, changes={"muted_kinds": ["order.created"]})  # muted over the API
    client = logged_in(merchant_a.owner)
    response = client.post(
        URL,
        form_data(
            email_enabled=None,
            muted_kinds=["order.shipped", "order.cancelled"],
            quiet_hours_start="21:30",
            quiet_hours_end="06:45",
            language="zh-hans",
        ),
    )
    assert response.status_code == 302 and response["Location"] == URL
    saved = NotificationPreference.objects.get(user=merchant_a.owner)
    assert saved.email_enabled is False and saved.push_enabled is True
    assert saved.muted_kinds == ["order.cancelled", "order.created", "order.shipped"]
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (time(21, 30), time(6, 45))
    assert User.objects.get(pk=merchant_a.owner.pk).language == "zh-hans"
    # The pages follow the new language at once.
    assert response.cookies["django_language"].value == "zh-hans"
    assert 'lang="zh-hans"' in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "half past"}, "quiet_hours_start"),
        ({"muted_kinds": ["offer.received"]}, "muted_kinds"),
        ({"language": "fr"}, "language"),
    ],
)
def test_errors_are_shown_at_their_field_and_nothing_is_saved(merchant_a, overrides, field) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(merchant_a.owner).post(URL, form_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert 'class="field-error"' in response.content.decode()
    assert not NotificationPreference.objects.filter(user=merchant_a.owner).exists()
    assert User.objects.get(pk=merchant_a.owner.pk).language == "en"


def test_the_language_switch_is_remembered_on_the_account(merchant_a) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(merchant_a.owner)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"})
    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert User.objects.get(pk=merchant_a.owner.pk).language == "zh-hans"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/orders/"})  # unknown: nothing changes
    assert User.objects.get(pk=merchant_a.owner.pk).language == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/orders/"})
    assert User.objects.get(pk=merchant_a.owner.pk).language == "en"


def test_the_language_switch_still_works_signed_out() -> None:
    response = Client().post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "zh-hans"


@pytest.mark.parametrize(
    ("accept", "language"), [("zh-CN,zh;q=0.9", "zh-hans"), ("en-GB,en;q=0.8", "en"), ("fr", "en")]
)
def test_a_merchant_signing_up_is_written_to_in_the_page_s_language(client, accept, language) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/signup/",
        {"shop_name": "Shop", "username": "new-shop", "email": "shop@example.com", "password": "Sturdy-Passw0rd!"},
        HTTP_ACCEPT_LANGUAGE=accept,
    )
    assert response.status_code == 302, response.content[:2000]
    assert User.objects.get(username="new-shop").language == language

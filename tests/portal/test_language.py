"""The reader's language: a switch in the admin header, remembered per user on every device."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from portal.models import UserPreference
from tests.conftest import PASSWORD


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_header_offers_both_languages_and_marks_the_current_one(manager: User) -> None:
    page = signed_in(manager).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'action="{reverse("set_language")}"' in page
    assert 'value="zh-hant" lang="zh-hant"' in page and "繁體中文" in page
    assert 'value="en" aria-current="true" disabled' in page  # the browser asked for English


def test_the_choice_is_remembered_for_the_user_on_another_device(manager: User) -> None:
    laptop = signed_in(manager)
    answer = laptop.post(reverse("set_language"), {"language": "en", "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert UserPreference.objects.get(user=manager).language == "en"

    phone = signed_in(manager)  # no language cookie here, and a browser that asks for Chinese
    page = phone.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert page["Content-Language"] == "en"
    assert "Log out" in page.content.decode()


def test_another_user_still_gets_their_browsers_language(manager: User, finance: User) -> None:
    signed_in(manager).post(reverse("set_language"), {"language": "en", "next": "/admin/"})

    page = signed_in(finance).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert page["Content-Language"] == "zh-hant"
    assert not UserPreference.objects.filter(user=finance).exists()


def test_an_unknown_language_changes_nothing(manager: User) -> None:
    answer = signed_in(manager).post(reverse("set_language"), {"language": "xx", "next": "/admin/"})

    assert answer.status_code == 302
    assert not UserPreference.objects.exists()


def test_the_login_page_has_the_switch_and_an_anonymous_choice_is_a_cookie_only(db: None) -> None:
    client = Client()
    page = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'name="language" value="en"' in page

    client.post(reverse("set_language"), {"language": "en", "next": "/admin/login/"})

    assert client.get(reverse("admin:login"))["Content-Language"] == "en"
    assert not UserPreference.objects.exists()


def test_the_api_follows_each_requests_accept_language_not_the_admin_choice(manager: User) -> None:
    client = signed_in(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    del client.cookies["django_language"]  # a script holding the session, not the browser's cookie

    answer = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert answer.status_code == 404
    assert answer["Content-Language"] == "zh-hant"

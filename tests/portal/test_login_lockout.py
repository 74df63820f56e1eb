"""Staff logins lock after five wrong passwords (django-axes): cool-off, other addresses, admin unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD

LOGIN = "/admin/login/?next=/admin/"


def attempt(client: Client, user: User, password: str, address: str = "198.51.100.7", language: str = "en") -> object:
    return client.post(
        LOGIN,
        {"username": user.username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_five_wrong_passwords_lock_the_username_from_that_address_even_for_the_right_one(manager: User) -> None:
    client = Client()
    for _ in range(4):
        assert attempt(client, manager, "wrong-password").status_code == 200  # the form, with its error
    assert attempt(client, manager, "wrong-password").status_code == 429  # type: ignore[attr-defined]
    response = attempt(client, manager, PASSWORD)
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert response["Retry-After"] == "900"  # type: ignore[index]
    assert "Login locked" in response.content.decode()  # type: ignore[attr-defined]
    assert not logged_in(client)
    in_chinese = attempt(client, manager, PASSWORD, language="zh-hant").content.decode()  # type: ignore[attr-defined]
    assert "登入已鎖定" in in_chinese and "15 分鐘後再試" in in_chinese


def test_a_locked_username_still_logs_in_from_another_address(manager: User) -> None:
    for _ in range(5):
        attempt(Client(), manager, "wrong-password")
    other = Client()
    assert attempt(other, manager, PASSWORD, address="203.0.113.9").status_code == 302  # type: ignore[attr-defined]
    assert logged_in(other)


def test_the_lock_ends_after_the_cool_off(manager: User) -> None:
    client = Client()
    for _ in range(5):
        attempt(client, manager, "wrong-password")
    assert attempt(client, manager, PASSWORD).status_code == 429  # type: ignore[attr-defined]
    # when the cool-off has passed since the last failure
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert attempt(client, manager, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_a_superuser_unlocks_a_login_by_deleting_its_access_attempt(manager: User, superuser: User) -> None:
    for _ in range(5):
        attempt(Client(), manager, "wrong-password")
    lock = AccessAttempt.objects.get(username=manager.username)
    admin = Client()
    admin.force_login(superuser)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and manager.username in page.content.decode()
    response = admin.post(f"/admin/axes/accessattempt/{lock.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert attempt(Client(), manager, PASSWORD).status_code == 302  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["manager", "reviewer", "finance"])
def test_staff_roles_cannot_see_or_clear_the_lockouts(role: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_a_right_password_clears_earlier_failures(manager: User) -> None:
    client = Client()
    for _ in range(4):
        attempt(client, manager, "wrong-password")
    assert attempt(client, manager, PASSWORD).status_code == 302  # type: ignore[attr-defined]
    client.logout()
    for _ in range(4):
        attempt(client, manager, "wrong-password")
    assert attempt(client, manager, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_a_username_longer_than_the_attempts_column_gets_the_login_page_and_is_counted(
    client: Client, db: None
) -> None:
    # django-axes keeps the username in a 255-character column: a longer one failed its insert.
    long_name = "m" * 300
    response = client.post(LOGIN, {"username": long_name, "password": "wrong"}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 200
    assert not logged_in(client)
    assert AccessAttempt.objects.get(ip_address="198.51.100.9").username == long_name[:255]

"""One label per actor, wherever it is written."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory

from portal.actors import actor_label, actor_user, request_actor
from portal.models import Brand, BrandAPIKey
from portal.services import api_key_create


@pytest.fixture
def api_key(brand: Brand) -> BrandAPIKey:
    return api_key_create(brand=brand, name="erp", actor="test")[0]


def test_a_user_is_named_by_username(superuser: User) -> None:
    assert actor_label(superuser) == "root"
    assert actor_user(superuser) == superuser


def test_an_api_key_is_named_by_its_prefix_and_has_no_user(api_key: BrandAPIKey) -> None:
    assert actor_label(api_key) == f"api-key:{api_key.prefix}"
    assert actor_user(api_key) is None


@pytest.mark.parametrize("nobody", [None, AnonymousUser(), ""])
def test_nobody_is_the_system(nobody: object) -> None:
    assert actor_label(nobody) == "system"  # type: ignore[arg-type]
    assert actor_user(nobody) is None  # type: ignore[arg-type]


def test_a_task_names_itself() -> None:
    assert actor_label("task:api_keys_expire") == "task:api_keys_expire"


def test_a_request_is_named_by_its_api_key_else_its_user(api_key: BrandAPIKey, superuser: User) -> None:
    request = RequestFactory().get("/")
    request.user = superuser
    assert actor_label(request) == "root"
    request.auth = api_key  # type: ignore[attr-defined]
    assert request_actor(request) == api_key
    assert actor_label(request) == f"api-key:{api_key.prefix}"

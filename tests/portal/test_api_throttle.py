"""A limit per API key and minute: 429 with Retry-After past it, other keys and staff unaffected."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from portal.models import Brand


@pytest.fixture(autouse=True)
def three_a_minute(settings: object) -> None:
    settings.API_KEY_REQUESTS_PER_MINUTE = 3  # type: ignore[attr-defined]
    cache.clear()


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_past_its_limit_a_key_gets_429_with_retry_after_and_the_api_error_shape(
    brand: Brand, api_key_for: Callable[[Brand], str]
) -> None:
    client = client_for(api_key_for(brand))
    assert [client.get("/api/v1/brands").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/brands")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["message"].startswith("Request was throttled")


def test_another_brands_key_has_its_own_allowance(
    brand: Brand, other_brand: Brand, api_key_for: Callable[[Brand], str]
) -> None:
    client = client_for(api_key_for(brand))
    for _ in range(4):
        client.get("/api/v1/brands")
    assert client_for(api_key_for(other_brand)).get("/api/v1/brands").status_code == 200


def test_staff_sessions_are_not_limited_by_the_key_throttle(superuser: User) -> None:
    client = APIClient()
    client.force_login(superuser)
    assert {client.get("/api/v1/brands").status_code for _ in range(5)} == {200}


def test_no_limit_when_set_to_zero(brand: Brand, api_key_for: Callable[[Brand], str], settings: object) -> None:
    settings.API_KEY_REQUESTS_PER_MINUTE = 0  # type: ignore[attr-defined]
    client = client_for(api_key_for(brand))
    assert {client.get("/api/v1/brands").status_code for _ in range(5)} == {200}

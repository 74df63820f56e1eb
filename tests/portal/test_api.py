from collections.abc import Callable

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from portal.models import Brand
from portal.services import api_key_revoke


def test_a_brand_key_sees_only_its_own_brand(api_client: APIClient, brand: Brand, other_brand: Brand) -> None:
    listed = api_client.get("/api/v1/brands")
    assert listed.status_code == 200
    assert [b["slug"] for b in listed.json()] == ["acme"]
    assert api_client.get("/api/v1/brands/globex").status_code == 404


def test_the_api_never_returns_credentials(api_client: APIClient, brand: Brand) -> None:
    body = api_client.get("/api/v1/brands/acme").content.decode()
    assert "acme-access-token" not in body and "acme-channel-secret" not in body
    assert '"has_channel_access_token":true' in body


def test_requests_without_a_valid_key_are_refused(db: None, brand: Brand, api_key_for: Callable[[Brand], str]) -> None:
    client = APIClient()
    assert client.get("/api/v1/brands").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION="Bearer nope.nope", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/api/v1/brands")
    assert response.status_code == 401
    assert response.json()["message"] == "Unknown API key."


def test_a_revoked_key_is_refused(db: None, brand: Brand) -> None:
    from portal.services import api_key_create

    api_key, key = api_key_create(brand=brand, name="old", actor="test")
    api_key_revoke(api_key=api_key, actor="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/brands").status_code == 401


def test_an_account_manager_cannot_open_another_managers_brand_in_the_api(manager: User, other_brand: Brand) -> None:
    client = APIClient()
    client.force_login(manager)
    assert client.get("/api/v1/brands/acme").status_code == 200
    assert client.get("/api/v1/brands/globex").status_code == 404
    assert [b["slug"] for b in client.get("/api/v1/brands").json()] == ["acme"]


def test_the_openapi_schema_is_served(db: None) -> None:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/brands" in response.content

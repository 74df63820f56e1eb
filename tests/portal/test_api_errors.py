"""The API answers every refusal in its error shape, and its schema documents each of them."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from members.services import member_upsert
from portal.models import Brand

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict[str, object]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _operations(openapi: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    paths: dict[str, dict[str, dict[str, object]]] = openapi["paths"]  # type: ignore[assignment]
    return [(method, path, operation) for path, item in paths.items() for method, operation in item.items()]


@pytest.mark.parametrize("path", ["/api/v1/brands", "/api/v1/members/M1", "/api/v1/members/M1/line-binding"])
def test_options_on_an_api_address_is_a_405_in_the_error_shape_not_a_server_error(
    api_client: APIClient, path: str
) -> None:
    response = api_client.options(path)
    assert response.status_code == 405
    assert set(response.json()) == {"message", "errors"}


@pytest.mark.parametrize("path", ["/api/v1/notifications/0.5", "/api/v1/templates/a.b/check", "/api/v1/nothing"])
def test_an_api_address_that_matches_no_route_is_a_json_404(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"message", "errors"}


def test_an_address_outside_the_api_that_matches_no_route_is_still_a_page(api_client: APIClient) -> None:
    response = api_client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_operation_documents_the_refusals_any_request_can_get(openapi: dict[str, object]) -> None:
    for method, path, operation in _operations(openapi):
        responses: dict[str, dict[str, object]] = operation["responses"]  # type: ignore[assignment]
        expected = {"400", "401", "403", "406", "429"}
        if "{" in path:
            expected.add("404")
        if method in ("post", "put", "patch"):
            expected |= {"415", "422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        assert "Retry-After" in responses["429"]["headers"]  # type: ignore[operator]


def test_every_documented_refusal_has_the_error_shape(openapi: dict[str, object]) -> None:
    components: dict[str, dict[str, object]] = openapi["components"]["schemas"]  # type: ignore[index]
    assert set(components["Error"]["required"]) == {"message", "errors"}  # type: ignore[call-overload]
    for method, path, operation in _operations(openapi):
        responses: dict[str, dict[str, object]] = operation["responses"]  # type: ignore[assignment]
        for code, response in responses.items():
            if code in ("400", "401", "403", "404", "406", "415", "429"):
                schema = response["content"]["application/json"]["schema"]  # type: ignore[index]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_a_refusal_that_quotes_a_lone_surrogate_is_a_400_naming_the_field_not_a_server_error(
    api_client: APIClient, brand: Brand
) -> None:
    # given a member, and a consent whose purpose is a lone surrogate ("“\ud800” is not a valid choice")
    member_upsert(brand=brand, external_id="M1", name="M", phone="0912345678", actor="test")
    # when
    response = api_client.post(
        "/api/v1/members/M1/consents", data='{"purpose": "\\ud800"}', content_type="application/json"
    )
    # then
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "\ufffd" in errors["purpose"]

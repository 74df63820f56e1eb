"""The API answers every refusal in its error shape, and its schema documents each of them."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict[str, object]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _operations(openapi: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    paths: dict[str, dict[str, dict[str, object]]] = openapi["paths"]  # type: ignore[assignment]
    return [(method, path, operation) for path, item in paths.items() for method, operation in item.items()]


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

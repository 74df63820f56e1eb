"""Every string a request body carries, read from the schema, refuses what no database can store.

Hypothesis never generates lone UTF-16 surrogates (they are not characters), so schemathesis
cannot send them; this test sends one, and a NUL, in each string and free-form object of
each operation's JSON body and expects a 400 naming that field, or an earlier refusal
(404, 422) — never a 5xx, which is what PostgreSQL turns an unstorable string into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from members.services import member_upsert
from portal.models import Brand

pytestmark = pytest.mark.django_db

UNSTORABLE = {"lone surrogate": '"\\ud800"', "NUL": '"\\u0000"'}
PATH_VALUES = {"{external_id}": "M1", "{code}": "shipping_notice", "{id}": "1", "{slug}": "acme"}


def _body_fields() -> list[tuple[str, str, str, str]]:
    """Return (method, path, field, JSON value) for each string or object field of each JSON body."""
    document: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[assignment]
    components = document["components"]["schemas"]
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            ref = content["schema"].get("$ref", "")
            properties = components[ref.rsplit("/", 1)[-1]].get("properties", {}) if ref else {}
            for field, spec in properties.items():
                if spec.get("readOnly"):
                    continue
                for label, value in UNSTORABLE.items():
                    if spec.get("type") == "string" or "$ref" in spec or "enum" in spec:
                        cases.append((method, path, field, value, label))
                    elif spec.get("type") == "object":
                        cases.append((method, path, field, f'{{"k": {value}}}', label))
    return [(m, p, f, v) for m, p, f, v, _label in cases]


CASES = _body_fields()


def test_the_schema_has_bodies_with_strings() -> None:
    assert len({(m, p) for m, p, _f, _v in CASES}) >= 5


@pytest.mark.parametrize(("method", "path", "field", "value"), CASES, ids=lambda v: str(v)[:40])
def test_an_unstorable_string_in_a_body_field_is_refused_not_a_server_error(
    brand: Brand, api_key_for: Callable[[Brand], str], method: str, path: str, field: str, value: str
) -> None:
    member_upsert(brand=brand, external_id="M1", name="M", phone="0912345678", actor="test")
    for placeholder, real in PATH_VALUES.items():
        path = path.replace(placeholder, real)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(brand)}", HTTP_IDEMPOTENCY_KEY="k-unstorable")
    response = getattr(client, method)(path, data=f'{{"{field}": {value}}}', content_type="application/json")
    assert response.status_code < 500, response.content
    assert response.status_code in (400, 404, 422), response.content
    if response.status_code == 400:
        assert field in {e["field"].split(".")[0].split("[")[0] for e in response.json()["errors"]} or any(
            e["field"] == "" or e["field"].startswith("notifications") for e in response.json()["errors"]
        ), response.json()


BODY_OPERATIONS = sorted({(m, p) for m, p, _f, _v in CASES})


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS, ids=lambda v: str(v)[:40])
def test_a_body_nested_too_deep_for_the_parser_is_a_400_that_says_so(
    brand: Brand, api_key_for: Callable[[Brand], str], method: str, path: str
) -> None:
    # Python's parser gives up on 5,000 levels with a RecursionError.
    body = '{"k": ' + "[" * 5000 + "]" * 5000 + "}"
    member_upsert(brand=brand, external_id="M1", name="M", phone="0912345678", actor="test")
    for placeholder, real in PATH_VALUES.items():
        path = path.replace(placeholder, real)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(brand)}", HTTP_IDEMPOTENCY_KEY="k-parse")
    response = getattr(client, method)(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("JSON parse error"), response.json()

"""Lone UTF-16 surrogates (``"\\ud800"`` in JSON) are refused with a 400 naming the field, never a 500.

A lone surrogate is a valid JSON escape but not a character: it cannot be encoded as UTF-8,
and PostgreSQL refuses it in text and in jsonb. DRF's character fields refuse it already;
the free-form variables of a send or a check are checked by the API's own JSON fields.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from members.models import Member
from notifications.models import Notification

pytestmark = pytest.mark.django_db

VARIABLES = '"order_id": "A123", "event_time": "2026-11-25 10:00"'


@pytest.fixture
def shipping(approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]) -> TemplateVersion:
    make_member("M1", "0912-345-678")
    return approve_template("shipping_notice")


def _body(variables: str) -> str:
    """A send's JSON body, written out so a lone surrogate escape reaches the server as sent."""
    return f'{{"template": "shipping_notice", "member": "M1", "variables": {{{VARIABLES}, {variables}}}}}'


def _send(api_client: APIClient, body: str, key: str = "k-surrogate") -> tuple[int, dict[str, object]]:
    response = api_client.post(
        "/api/v1/notifications", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "A\\udbffB"])
def test_a_lone_surrogate_in_a_variable_value_is_refused_naming_the_variable(
    api_client: APIClient, shipping: TemplateVersion, surrogate: str
) -> None:
    status, answer = _send(api_client, _body(f'"order_id": "{surrogate}"'))
    assert status == 400, answer
    assert answer["errors"][0]["field"] == "variables.order_id"  # type: ignore[index]
    assert answer["errors"][0]["code"] == "surrogate_characters_not_allowed"  # type: ignore[index]
    assert not Notification.objects.exists()


def test_a_lone_surrogate_deep_in_a_variable_value_is_refused(api_client: APIClient, shipping: TemplateVersion) -> None:
    status, answer = _send(api_client, _body('"extra": [{"a": "\\ud800"}]'))
    assert status == 400, answer
    assert answer["errors"][0]["field"] == "variables.extra"  # type: ignore[index]


def test_a_lone_surrogate_in_a_variable_name_is_refused(api_client: APIClient, shipping: TemplateVersion) -> None:
    status, answer = _send(api_client, _body('"x\\ud800": "1"'))
    assert status == 400, answer
    assert answer["errors"][0]["field"] == "variables"  # type: ignore[index]
    assert answer["errors"][0]["code"] == "surrogate_characters_not_allowed"  # type: ignore[index]


def test_a_surrogate_pair_is_an_ordinary_character(api_client: APIClient, shipping: TemplateVersion) -> None:
    status, answer = _send(api_client, _body('"order_id": "A\\ud83d\\ude00"'))
    assert status == 202, answer


def test_a_lone_surrogate_in_a_template_check_is_refused(api_client: APIClient, shipping: TemplateVersion) -> None:
    body = f'{{"variables": {{{VARIABLES}, "order_id": "\\ud800"}}, "occurred_at": "{timezone.now().isoformat()}"}}'
    response = api_client.post("/api/v1/templates/shipping_notice/check", data=body, content_type="application/json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == "variables.order_id"


def test_a_number_too_large_for_a_float_is_refused_naming_the_variable(
    api_client: APIClient, shipping: TemplateVersion
) -> None:
    status, answer = _send(api_client, _body('"order_id": 1e400'))
    assert status == 400, answer
    assert answer["errors"][0]["field"] == "variables.order_id"  # type: ignore[index]

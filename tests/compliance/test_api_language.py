"""The API speaks English unless Accept-Language asks for Traditional Chinese; codes never change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import TemplateVersion

pytestmark = pytest.mark.django_db

CJK = range(0x4E00, 0xA000)


def has_chinese(text: str) -> bool:
    return any(ord(c) in CJK for c in text)


def check(api_client: APIClient, language: str | None, body: dict) -> dict:
    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = api_client.post("/api/v1/templates/shipping_notice/check", body, format="json", **headers)
    assert response.status_code in (400, 422), response.json()
    return response.json()  # type: ignore[no-any-return]


PROMO = {"variables": {"order_id": "coupon50", "event_time": "2026-01-01 10:00"}}
BAD_TIME = {"variables": {}, "occurred_at": "yesterday"}


@pytest.mark.parametrize("body", [PROMO, BAD_TIME], ids=["rule", "shape"])
def test_errors_are_english_by_default_and_chinese_when_asked_with_the_same_codes(
    api_client: APIClient, approved: TemplateVersion, body: dict
) -> None:
    english = check(api_client, None, body)
    chinese = check(api_client, "zh-TW,zh;q=0.9,en;q=0.5", body)
    assert not has_chinese(english["message"]), english
    assert has_chinese(chinese["message"]), chinese
    assert [(e["field"], e["code"]) for e in english["errors"]] == [(e["field"], e["code"]) for e in chinese["errors"]]


def test_a_language_the_portal_does_not_speak_falls_back_to_english(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    answer = check(api_client, "ja-JP,fr;q=0.8", PROMO)
    assert not has_chinese(answer["message"]), answer


def test_the_admin_language_cookie_does_not_change_the_api(client: Client, db: None) -> None:
    client.cookies["django_language"] = "zh-hant"
    response = client.get("/api/v1/brands", HTTP_AUTHORIZATION="Bearer nope.nope")
    assert response.status_code == 401
    assert response.json()["message"] == "Unknown API key."
    asked = client.get("/api/v1/brands", HTTP_AUTHORIZATION="Bearer nope.nope", HTTP_ACCEPT_LANGUAGE="zh-Hant")
    assert asked.json()["message"] == "無法辨識的 API 金鑰。"
    assert asked["Content-Language"] == "zh-hant"

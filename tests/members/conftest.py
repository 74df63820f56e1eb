from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from members.models import Member
from members.services import member_upsert
from portal.models import Brand


@pytest.fixture(autouse=True)
def english() -> None:
    # Messages are compared in English; the portal's default language is Traditional Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def make_member(brand: Brand) -> Callable[..., Member]:
    def make(external_id: str = "M001", phone: str = "0912-345-678", name: str = "王小明", **kw: object) -> Member:
        return member_upsert(
            brand=kw.pop("in_brand", brand),
            external_id=external_id,
            name=name,
            phone=phone,
            actor="test",  # type: ignore[arg-type]
        )[0]

    return make


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "members.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def client() -> Client:
    """A browser-like client that asks for English pages (the portal's default is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api_client(api_client: APIClient) -> APIClient:
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client

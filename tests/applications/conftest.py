"""Fixtures for the application tracker: ready-to-apply brands, applications at any stage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from applications.choices import DocumentKind, Stage, UseCase
from applications.models import Application, ApplicationDocument
from applications.services import application_create, application_document_add, application_move
from applications.workflow import PATH_STAGES
from portal.models import Brand

# A Monday with no holiday near it, so windows are easy to check by hand.
START = date(2026, 3, 2)


def at(day: date, hour: int = 10) -> datetime:
    """Return ``day`` at ``hour`` o'clock in Taipei."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@pytest.fixture(autouse=True)
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]
    return tmp_path


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons are checked in English here; the Chinese catalogue has its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def clear_cache() -> None:
    cache.clear()


def attach(
    application: Application, kind: str, *, on: date = START, actor: object = "test", **fields: object
) -> ApplicationDocument:
    """Upload a small file of ``kind``; an NDA is signed a year before ``on`` and valid a year after."""
    if kind == DocumentKind.NDA:
        fields.setdefault("signed_on", on - timedelta(days=365))
        fields.setdefault("expires_on", on + timedelta(days=365))
    return application_document_add(
        application=application,
        kind=kind,
        file=SimpleUploadedFile(f"{kind}.pdf", b"%PDF-1.4 test"),
        uploaded_by=actor,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def ready_brand(brand: Brand) -> Brand:
    """A green-shield MOEA company that is a Certified Provider: every brand gate is met."""
    brand.is_certified_provider = True
    brand.save(update_fields=["is_certified_provider"])
    return brand


@pytest.fixture
def make_application(ready_brand: Brand, manager: User) -> Callable[..., Application]:
    def make(
        *,
        path: str = "direct",
        brand: Brand | None = None,
        owner: User | None = None,
        documents: bool = True,
        on: date = START,
        **fields: object,
    ) -> Application:
        fields.setdefault("use_cases", [UseCase.DELIVERY_NOTICE])
        application = application_create(
            brand=brand or ready_brand,
            owner=owner or manager,
            actor="test",
            path=path,
            at=at(on),
            **fields,  # type: ignore[arg-type]
        )
        if documents:
            for kind in DocumentKind:
                attach(application, kind, on=on)
        return application

    return make


def bring_to(application: Application, stage: str, *, on: date = START) -> Application:
    """Walk the application forward along its path, one move per working day, to ``stage``."""
    day = on
    stages = PATH_STAGES[application.path]
    while application.stage != stage:
        current = stages.index(application.stage)  # type: ignore[arg-type]
        day += timedelta(days=1)
        application_move(application=application, to_stage=stages[current + 1], actor="test", at=at(day))
    return application


__all__ = ["START", "Stage", "at", "attach", "bring_to"]

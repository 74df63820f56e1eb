"""Unit prices and statement exports: written by billing's services, each with one audit row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from billing import services as billing_services
from billing.models import Statement, UnitPrice
from billing.services import statement_generate, statement_record_export, unit_price_create, unit_price_update
from portal.models import AuditEvent, Brand
from tests.billing.conftest import taipei

pytestmark = pytest.mark.django_db


def price_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="billing.unit_price_").order_by("id"))


def seeded_pnp() -> UnitPrice:
    return UnitPrice.objects.get(channel="pnp", effective_from=date(2023, 1, 1))


def fail(**kwargs: object) -> None:
    raise RuntimeError("audit trail unavailable")


def test_a_new_price_follows_the_ended_one_and_each_step_leaves_one_row(finance: User) -> None:
    # when finance ends the seeded PNP price and adds the next one
    unit_price_update(unit_price=seeded_pnp(), actor=finance, effective_to=date(2026, 3, 15), note="old")
    added = unit_price_create(
        channel="pnp", price=Decimal("0.25"), effective_from=date(2026, 3, 16), actor=finance, note="2026 price"
    )
    # then
    assert UnitPrice.objects.get(pk=added.pk).price == Decimal("0.25")
    assert [(e.action, e.actor, e.actor_label, e.data) for e in price_events()] == [
        (
            "billing.unit_price_changed",
            finance,
            "finance",
            {
                "channel": "pnp",
                "price": "0.2000",
                "from": "2023-01-01",
                "to": "2026-03-15",
                "fields": ["effective_to", "note"],
            },
        ),
        (
            "billing.unit_price_added",
            finance,
            "finance",
            {"channel": "pnp", "price": "0.25", "from": "2026-03-16", "to": None},
        ),
    ]


def test_an_overlapping_price_is_refused_and_leaves_no_row(finance: User) -> None:
    with pytest.raises(ValidationError):
        unit_price_create(channel="pnp", price=Decimal("0.3"), effective_from=date(2026, 1, 1), actor=finance)
    assert UnitPrice.objects.filter(channel="pnp").count() == 1
    assert not price_events()


def test_an_unchanged_price_writes_nothing(finance: User) -> None:
    unit_price_update(unit_price=seeded_pnp(), actor=finance, price=Decimal("0.2000"))
    assert not price_events()


def test_a_price_change_whose_audit_row_fails_is_not_saved(finance: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_services, "audit_record", fail)
    with pytest.raises(RuntimeError):
        unit_price_update(unit_price=seeded_pnp(), actor=finance, price=Decimal("0.5"))
    assert seeded_pnp().price == Decimal("0.2000")


def test_a_price_takes_only_its_own_fields(finance: User) -> None:
    with pytest.raises(TypeError, match="id"):
        unit_price_update(unit_price=seeded_pnp(), actor=finance, id=99)


def test_an_export_is_recorded_with_the_report_and_format(
    brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    deliver(brand, taipei("2026-01-05 10:00"), 1)
    statement = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    statement_record_export(statement=statement, report="statement", fmt="csv", actor=finance)
    (event,) = AuditEvent.objects.filter(action="billing.statement_exported")
    assert (event.object_id, event.brand, event.actor_label) == (str(statement.pk), brand, "finance")
    assert event.data == {"report": "statement", "format": "csv"}


# --- The admin ---------------------------------------------------------------------------------


def test_prices_added_and_ended_in_the_admin_go_through_the_services(superuser: User) -> None:
    client = Client()
    client.force_login(superuser)
    seeded = seeded_pnp()
    ended = client.post(
        f"/admin/billing/unitprice/{seeded.pk}/change/",
        {
            "channel": "pnp",
            "price": "0.2000",
            "effective_from": "2023-01-01",
            "effective_to": "2026-03-15",
            "note": seeded.note,
        },
    )
    assert ended.status_code == 302, ended.content.decode()[:2000]
    added = client.post(
        "/admin/billing/unitprice/add/",
        {"channel": "pnp", "price": "0.25", "effective_from": "2026-03-16", "effective_to": "", "note": "2026"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assert seeded_pnp().effective_to == date(2026, 3, 15)
    assert UnitPrice.objects.get(channel="pnp", effective_from=date(2026, 3, 16)).price == Decimal("0.25")
    assert [(e.action, e.actor_label) for e in price_events()] == [
        ("billing.unit_price_changed", "root"),
        ("billing.unit_price_added", "root"),
    ]
    assert price_events()[0].data["fields"] == ["effective_to"]


def test_a_statement_download_from_the_admin_is_recorded(
    brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    deliver(brand, taipei("2026-01-05 10:00"), 1)
    statement: Statement = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    client = Client()
    client.force_login(finance)
    response = client.get(f"/admin/billing/statement/{statement.pk}/export/reconciliation.xlsx")
    assert response.status_code == 200
    (event,) = AuditEvent.objects.filter(action="billing.statement_exported")
    assert (event.actor, event.data) == (finance, {"report": "reconciliation", "format": "xlsx"})

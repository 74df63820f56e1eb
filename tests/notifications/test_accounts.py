"""A brand's SMS account: written by its service, audited by field name, the password never shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from notifications.models import SmsAccount, SmsVendor
from notifications.services import accounts, sms_account_create_or_update
from portal.models import AuditEvent, Brand

pytestmark = pytest.mark.django_db

MITAKE = {"vendor": SmsVendor.MITAKE, "base_url": "https://smsb2c.mitake.com.tw/b2c/mtk", "username": "acme"}


def account_events(brand: Brand) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(brand=brand, action__startswith="sms_account.").order_by("id"))


def all_audit_data() -> str:
    return str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_a_new_account_stores_the_password_encrypted_and_audits_only_field_names(brand: Brand, manager: User) -> None:
    account, created = sms_account_create_or_update(brand=brand, actor=manager, password="pa55-word", **MITAKE)
    assert created
    assert SmsAccount.objects.get(pk=account.pk).password.reveal() == "pa55-word"
    (event,) = account_events(brand)
    assert (event.action, event.actor, event.actor_label) == ("sms_account.created", manager, "manager")
    assert event.data == {"fields": ["base_url", "password", "username", "vendor"]}
    assert "pa55-word" not in all_audit_data()


def test_a_change_names_only_what_changed_and_no_change_writes_nothing(brand: Brand, manager: User) -> None:
    # given
    sms_account_create_or_update(brand=brand, actor="test", password="first", **MITAKE)
    # when
    sms_account_create_or_update(
        brand=brand, actor=manager, password="second", **{**MITAKE, "price_per_segment": Decimal("0.75")}
    )
    sms_account_create_or_update(brand=brand, actor=manager, **MITAKE)
    # then
    account = SmsAccount.objects.get(brand=brand)
    assert (account.price_per_segment, account.password.reveal()) == (Decimal("0.75"), "second")
    updated = account_events(brand)[1:]
    assert [(e.action, e.actor_label, e.data) for e in updated] == [
        ("sms_account.updated", "manager", {"fields": ["password", "price_per_segment"]})
    ]
    assert "second" not in all_audit_data()


def test_a_refused_change_leaves_the_account_and_the_trail_as_they_were(brand: Brand, manager: User) -> None:
    sms_account_create_or_update(brand=brand, actor="test", **MITAKE)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        sms_account_create_or_update(brand=brand, actor=manager, username="x", price_per_segment=Decimal("-1"))
    assert SmsAccount.objects.get(brand=brand).username == "acme"
    assert AuditEvent.objects.count() == before


def test_a_change_whose_audit_row_fails_is_not_saved(
    brand: Brand, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms_account_create_or_update(brand=brand, actor="test", password="first", **MITAKE)

    def fail(**kwargs: object) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(accounts, "audit_record", fail)
    with pytest.raises(RuntimeError):
        sms_account_create_or_update(brand=brand, actor=manager, password="second", is_active=False)
    account = SmsAccount.objects.get(brand=brand)
    assert (account.is_active, account.password.reveal()) == (True, "first")


def test_an_account_cannot_be_moved_to_another_brand(brand: Brand, other_brand: Brand) -> None:
    with pytest.raises(TypeError, match="brand_id"):
        sms_account_create_or_update(brand=brand, actor="test", brand_id=other_brand.pk, **MITAKE)


# --- The admin ---------------------------------------------------------------------------------


def admin_form(brand: Brand, **changes: object) -> dict[str, object]:
    return {"brand": brand.pk, **MITAKE, "price_per_segment": "0.8", "is_active": "on", "new_password": "", **changes}


def test_a_manager_adds_and_changes_an_account_in_the_admin_through_the_service(brand: Brand, manager: User) -> None:
    client = Client()
    client.force_login(manager)
    added = client.post("/admin/notifications/smsaccount/add/", admin_form(brand, new_password="pa55-word"))
    assert added.status_code == 302, added.content.decode()[:2000]
    account = SmsAccount.objects.get(brand=brand)
    changed = client.post(f"/admin/notifications/smsaccount/{account.pk}/change/", admin_form(brand, username="acme-2"))
    assert changed.status_code == 302, changed.content.decode()[:2000]
    account.refresh_from_db()
    assert (account.username, account.password.reveal()) == ("acme-2", "pa55-word")  # blank keeps it
    assert [(e.action, e.actor_label, e.data["fields"]) for e in account_events(brand)] == [
        (
            "sms_account.created",
            "manager",
            ["base_url", "is_active", "password", "price_per_segment", "username", "vendor"],
        ),
        ("sms_account.updated", "manager", ["username"]),
    ]
    assert "pa55-word" not in all_audit_data()
    assert "pa55-word" not in client.get(f"/admin/notifications/smsaccount/{account.pk}/change/").content.decode()


def test_an_account_is_deactivated_not_deleted(brand: Brand, superuser: User) -> None:
    account, _created = sms_account_create_or_update(brand=brand, actor="test", **MITAKE)
    client = Client()
    client.force_login(superuser)
    assert client.post(f"/admin/notifications/smsaccount/{account.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SmsAccount.objects.filter(pk=account.pk).exists()

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import services as portal_services
from portal.models import AuditEvent, Brand, BrandAPIKey
from portal.services import (
    api_key_create,
    api_key_revoke,
    api_key_update,
    api_keys_expire,
    brand_create,
    brand_create_or_update,
    brand_update,
)
from tests.conftest import channel_id_for


def test_create_brand_then_update_it_by_slug(db: None) -> None:
    brand, created = brand_create_or_update(slug="acme", name="Acme", channel_id="123", actor="test")
    again, created_again = brand_create_or_update(slug="acme", name="Acme Ltd", actor="test")
    assert created and not created_again
    assert again.pk == brand.pk
    assert Brand.objects.get().name == "Acme Ltd"
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "brand.created",
        "brand.updated",
    ]


def test_credentials_change_is_audited_without_the_value(db: None) -> None:
    brand_create_or_update(slug="acme", channel_secret="top-secret-value", actor="test")
    event = AuditEvent.objects.get(action="brand.credentials_replaced")
    assert event.data == {"fields": ["channel_secret"]}
    assert "top-secret-value" not in str(AuditEvent.objects.values_list("data", flat=True)[::1])


def test_a_channel_id_with_letters_is_refused_with_the_field_named(db: None) -> None:
    with pytest.raises(ValidationError) as caught:
        brand_create_or_update(slug="acme", channel_id="abc", actor="test")
    assert "line_channel_id" in caught.value.message_dict
    assert not Brand.objects.exists()


def test_api_keys_are_stored_hashed_and_can_be_revoked(brand: Brand) -> None:
    api_key, key = api_key_create(brand=brand, name="erp", actor="test")
    stored = BrandAPIKey.objects.get(pk=api_key.pk)
    assert key not in stored.hashed_key and key.split(".")[1] not in stored.id
    assert stored.is_valid(key)
    api_key_revoke(api_key=stored, actor="test")
    assert BrandAPIKey.objects.get(pk=api_key.pk).revoked
    assert AuditEvent.objects.filter(action="api_key.revoked", brand=brand).exists()


# --- Brand and API key writes: the change and one audit row, together or not at all ----------


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_brand_created_with_managers_leaves_one_row_naming_the_fields(manager: User) -> None:
    initech = brand_create(slug="initech", name="Initech", actor=manager, line_channel_id="1650000123")
    hooli = brand_create(slug="hooli", name="Hooli", actor=manager, account_managers=[manager])
    (created,) = AuditEvent.objects.filter(brand=initech)
    assert (created.action, created.actor, created.actor_label) == ("brand.created", manager, "manager")
    assert created.data == {"fields": ["line_channel_id", "name"]}
    (with_managers,) = AuditEvent.objects.filter(brand=hooli)
    assert with_managers.data == {"fields": ["account_managers", "name"]}
    assert list(hooli.account_managers.all()) == [manager]


def test_a_brand_update_names_only_the_fields_that_changed(brand: Brand, superuser: User) -> None:
    # given
    before = AuditEvent.objects.count()
    # when
    brand_update(brand=brand, actor=superuser, name="Acme Taiwan", is_active=True, account_managers=[superuser])
    brand_update(brand=brand, actor=superuser, name="Acme Taiwan")
    # then
    assert Brand.objects.get(pk=brand.pk).name == "Acme Taiwan"
    assert list(Brand.objects.get(pk=brand.pk).account_managers.all()) == [superuser]
    assert AuditEvent.objects.count() == before + 1
    (updated,) = events("brand.updated")
    assert updated.data == {"fields": ["account_managers", "name"]}
    assert (updated.actor, updated.actor_label) == (superuser, "root")


def test_a_refused_brand_update_leaves_the_brand_and_the_trail_as_they_were(brand: Brand, superuser: User) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        brand_update(brand=brand, actor=superuser, name="Acme Taiwan", line_channel_id="abc")
    assert Brand.objects.get(pk=brand.pk).line_channel_id == channel_id_for("acme")
    assert AuditEvent.objects.count() == before


def test_two_brands_cannot_share_a_line_channel(brand: Brand, superuser: User) -> None:
    # LINE's rate limits and counts are per channel: a shared channel would mix two bills
    with pytest.raises(ValidationError) as raised:
        brand_create(slug="initech", name="Initech", actor=superuser, line_channel_id=brand.line_channel_id)
    assert "acme already uses LINE channel" in " ".join(raised.value.message_dict["line_channel_id"])
    assert not Brand.objects.filter(slug="initech").exists()

    # brands without a channel yet are not in each other's way, and the database holds the rule too
    brand_create(slug="initech", name="Initech", actor=superuser)
    brand_create(slug="hooli", name="Hooli", actor=superuser)
    with pytest.raises(IntegrityError), transaction.atomic():
        Brand.objects.filter(slug="hooli").update(line_channel_id=brand.line_channel_id)


def test_a_brand_update_whose_audit_row_fails_is_not_saved(
    brand: Brand, superuser: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portal_services, "audit_record", fail)
    with pytest.raises(RuntimeError):
        brand_update(brand=brand, actor=superuser, name="Acme Taiwan")
    assert Brand.objects.get(pk=brand.pk).name == "Acme Shop"


def test_a_brand_takes_only_its_own_fields(brand: Brand) -> None:
    with pytest.raises(TypeError, match="channel_access_token"):
        brand_update(brand=brand, actor="test", channel_access_token="not encrypted")


def fail(**kwargs: object) -> None:
    raise RuntimeError("audit trail unavailable")


def test_an_api_key_made_with_an_expiry_records_it(brand: Brand, superuser: User) -> None:
    expiry = timezone.now() + timedelta(days=90)
    api_key, _key = api_key_create(brand=brand, name="erp", actor=superuser, expiry_date=expiry)
    assert BrandAPIKey.objects.get(pk=api_key.pk).expiry_date == expiry
    (created,) = events("api_key.created")
    assert created.data == {"prefix": api_key.prefix, "expiry_date": expiry.isoformat()}
    assert (created.actor_label, created.brand) == ("root", brand)


def test_renaming_a_key_and_moving_its_expiry_leaves_one_row_with_both_dates(brand: Brand, superuser: User) -> None:
    # given
    api_key, _key = api_key_create(brand=brand, name="erp", actor="test")
    expiry = timezone.now() + timedelta(days=30)
    # when
    api_key_update(api_key=api_key, actor=superuser, name="erp (prod)", expiry_date=expiry)
    api_key_update(api_key=api_key, actor=superuser, name="erp (prod)")
    # then
    stored = BrandAPIKey.objects.get(pk=api_key.pk)
    assert (stored.name, stored.expiry_date) == ("erp (prod)", expiry)
    (updated,) = events("api_key.updated")
    assert updated.data == {"fields": ["expiry_date", "name"], "expiry_date": {"from": None, "to": expiry.isoformat()}}
    assert (updated.actor_label, updated.brand) == ("root", brand)


def test_a_key_update_whose_audit_row_fails_is_not_saved(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    api_key, _key = api_key_create(brand=brand, name="erp", actor="test")
    monkeypatch.setattr(portal_services, "audit_record", fail)
    with pytest.raises(RuntimeError):
        api_key_update(api_key=api_key, actor="test", expiry_date=timezone.now())
    assert BrandAPIKey.objects.get(pk=api_key.pk).expiry_date is None


def test_a_key_takes_only_its_name_and_expiry(brand: Brand) -> None:
    api_key, _key = api_key_create(brand=brand, name="erp", actor="test")
    with pytest.raises(TypeError, match="revoked"):
        api_key_update(api_key=api_key, actor="test", revoked=True)


def test_revoking_a_key_twice_leaves_one_row_with_the_actor(brand: Brand, superuser: User) -> None:
    api_key, _key = api_key_create(brand=brand, name="erp", actor="test")
    api_key_revoke(api_key=api_key, actor=superuser)
    api_key_revoke(api_key=api_key, actor=superuser)
    (revoked,) = events("api_key.revoked")
    assert (revoked.actor, revoked.actor_label, revoked.object_id) == (superuser, "root", str(api_key.pk))


def test_a_key_that_expires_is_recorded_once_and_again_after_a_new_expiry_passes(brand: Brand) -> None:
    # given a key that expired an hour ago, one that expires tomorrow and a revoked one
    now = timezone.now()
    expired, _key = api_key_create(brand=brand, name="old", actor="test", expiry_date=now - timedelta(hours=1))
    api_key_create(brand=brand, name="current", actor="test", expiry_date=now + timedelta(days=1))
    revoked, _key = api_key_create(brand=brand, name="gone", actor="test", expiry_date=now - timedelta(hours=1))
    api_key_revoke(api_key=revoked, actor="test")
    # when the sweep runs twice
    assert api_keys_expire(now=now) == 1
    assert api_keys_expire(now=now) == 0
    # then the expired key has one row, by the task
    (event,) = events("api_key.expired")
    assert (event.object_id, event.actor, event.actor_label) == (str(expired.pk), None, "task:api_keys_expire")
    assert event.data == {"prefix": expired.prefix, "expiry_date": (now - timedelta(hours=1)).isoformat()}
    # and a key given a new expiry that passes too is recorded again
    api_key_update(api_key=expired, actor="test", expiry_date=now + timedelta(hours=1))
    assert api_keys_expire(now=now) == 0
    assert api_keys_expire(now=now + timedelta(hours=2)) == 1
    assert len(events("api_key.expired")) == 2


def test_the_expiry_sweep_runs_hourly_from_beat(brand: Brand) -> None:
    from portal.celery import app
    from portal.tasks import api_keys_expire_task

    api_key_create(brand=brand, name="old", actor="test", expiry_date=timezone.now() - timedelta(minutes=1))
    assert api_keys_expire_task.apply().get() == 1
    entry = app.conf.beat_schedule["portal-api-keys-expire"]
    assert (entry["task"], entry["schedule"]) == ("portal.tasks.api_keys_expire_task", 3600)

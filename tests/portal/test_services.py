import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, Brand, BrandAPIKey
from portal.services import api_key_create, api_key_revoke, brand_create_or_update


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

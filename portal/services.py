"""Writes to brands, API keys and the audit trail; every change leaves an audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from portal.actors import Actor, actor_label, actor_user
from portal.fields import Secret
from portal.models import AuditEvent, Brand, BrandAPIKey


def audit_record(
    *,
    action: str,
    actor: Actor = None,
    obj: models.Model | None = None,
    brand: Brand | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to which record; call it inside the change's transaction."""
    if brand is None and obj is not None:
        brand = obj if isinstance(obj, Brand) else getattr(obj, "brand", None)
    return AuditEvent.objects.create(
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        brand=brand,
        data=data or {},
        actor=actor_user(actor),
        actor_label=actor_label(actor),
    )


@transaction.atomic
def brand_set_credentials(
    *, brand: Brand, actor: Actor, channel_secret: str | None = None, access_token: str | None = None
) -> Brand:
    """Replace the channel secret and/or access token; the audit row says which, never the value."""
    changed = []
    if channel_secret:
        brand.channel_secret = Secret(channel_secret)
        changed.append("channel_secret")
    if access_token:
        brand.channel_access_token = Secret(access_token)
        changed.append("channel_access_token")
    if changed:
        brand.credentials_updated_at = timezone.now()
        brand.save(update_fields=[*changed, "credentials_updated_at", "updated_at"])
        audit_record(action="brand.credentials_replaced", actor=actor, obj=brand, data={"fields": changed})
    return brand


@transaction.atomic
def brand_create_or_update(
    *,
    slug: str,
    actor: Actor,
    name: str | None = None,
    channel_id: str | None = None,
    channel_secret: str | None = None,
    access_token: str | None = None,
    **fields: Any,
) -> tuple[Brand, bool]:
    """Create the brand with this slug, or update the fields given; return (brand, created)."""
    brand = Brand.objects.select_for_update().filter(slug=slug).first()
    created = brand is None
    if brand is None:
        brand = Brand(slug=slug, name=name or slug)
    elif name:
        brand.name = name
    if channel_id is not None:
        brand.line_channel_id = channel_id
    for field, value in fields.items():
        setattr(brand, field, value)
    brand.full_clean()
    brand.save()
    changed = sorted(
        {*fields}
        | ({"name"} if name or created else set())
        | ({"line_channel_id"} if channel_id is not None else set())
    )
    audit_record(
        action="brand.created" if created else "brand.updated", actor=actor, obj=brand, data={"fields": changed}
    )
    brand_set_credentials(brand=brand, actor=actor, channel_secret=channel_secret, access_token=access_token)
    return brand, created


@transaction.atomic
def api_key_create(*, brand: Brand, name: str, actor: Actor) -> tuple[BrandAPIKey, str]:
    """Create an API key for the brand; return it with the plain key, which is never stored."""
    api_key, key = BrandAPIKey.objects.create_key(brand=brand, name=name, created_by=actor_user(actor))
    assert isinstance(api_key, BrandAPIKey)
    audit_record(action="api_key.created", actor=actor, obj=api_key, brand=brand, data={"prefix": api_key.prefix})
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: BrandAPIKey, actor: Actor) -> BrandAPIKey:
    """Revoke an API key; requests with it are refused from now on."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
        audit_record(action="api_key.revoked", actor=actor, obj=api_key, brand=api_key.brand)
    return api_key

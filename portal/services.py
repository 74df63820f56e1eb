"""Writes to brands, API keys and the audit trail; every change leaves an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
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


# Brand fields a service may set; the credentials go through brand_set_credentials only.
BRAND_FIELDS = frozenset(
    (
        "name",
        "slug",
        "is_active",
        "account_type",
        "legal_entity_type",
        "is_certified_provider",
        "certified_provider_since",
        "application_path",
        "line_channel_id",
    )
)


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")


def _set_account_managers(brand: Brand, managers: Iterable[AbstractBaseUser] | None) -> bool:
    if managers is None:
        return False
    wanted = {user.pk for user in managers}
    if wanted == set(brand.account_managers.values_list("pk", flat=True)):
        return False
    brand.account_managers.set(wanted)
    return True


@transaction.atomic
def brand_create(
    *,
    slug: str,
    name: str,
    actor: Actor,
    channel_secret: str | None = None,
    access_token: str | None = None,
    account_managers: Iterable[AbstractBaseUser] | None = None,
    **fields: Any,
) -> Brand:
    """Create a brand; the audit row names the fields set, the credentials only by name."""
    _check_fields(fields, BRAND_FIELDS)
    brand = Brand(slug=slug, name=name, **fields)
    brand.full_clean()
    brand.save()
    names = {"name", *fields}
    if _set_account_managers(brand, account_managers):
        names.add("account_managers")
    audit_record(action="brand.created", actor=actor, obj=brand, data={"fields": sorted(names)})
    brand_set_credentials(brand=brand, actor=actor, channel_secret=channel_secret, access_token=access_token)
    return brand


@transaction.atomic
def brand_update(
    *,
    brand: Brand,
    actor: Actor,
    channel_secret: str | None = None,
    access_token: str | None = None,
    account_managers: Iterable[AbstractBaseUser] | None = None,
    **fields: Any,
) -> Brand:
    """Change the fields given that differ; the audit row names them (no row when nothing changed)."""
    _check_fields(fields, BRAND_FIELDS)
    changed = [name for name, value in fields.items() if getattr(brand, name) != value]
    for name in changed:
        setattr(brand, name, fields[name])
    if changed:
        brand.full_clean()
        brand.save(update_fields=[*changed, "updated_at"])
    if _set_account_managers(brand, account_managers):
        changed.append("account_managers")
    if changed:
        audit_record(action="brand.updated", actor=actor, obj=brand, data={"fields": sorted(changed)})
    brand_set_credentials(brand=brand, actor=actor, channel_secret=channel_secret, access_token=access_token)
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
    account_managers: Iterable[AbstractBaseUser] | None = None,
    **fields: Any,
) -> tuple[Brand, bool]:
    """Create the brand with this slug, or update the fields given; return (brand, created)."""
    if channel_id is not None:
        fields["line_channel_id"] = channel_id
    credentials = {"channel_secret": channel_secret, "access_token": access_token}
    brand = Brand.objects.select_for_update().filter(slug=slug).first()
    if brand is None:
        brand = brand_create(
            slug=slug, name=name or slug, actor=actor, account_managers=account_managers, **credentials, **fields
        )
        return brand, True
    if name:
        fields["name"] = name
    brand = brand_update(brand=brand, actor=actor, account_managers=account_managers, **credentials, **fields)
    return brand, False


# --- API keys ------------------------------------------------------------------------------

API_KEY_FIELDS = frozenset(("name", "expiry_date"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@transaction.atomic
def api_key_create(
    *, brand: Brand, name: str, actor: Actor, expiry_date: datetime | None = None
) -> tuple[BrandAPIKey, str]:
    """Create an API key for the brand; return it with the plain key, which is never stored."""
    api_key, key = BrandAPIKey.objects.create_key(
        brand=brand, name=name, created_by=actor_user(actor), expiry_date=expiry_date
    )
    assert isinstance(api_key, BrandAPIKey)
    audit_record(
        action="api_key.created",
        actor=actor,
        obj=api_key,
        brand=brand,
        data={"prefix": api_key.prefix, "expiry_date": _iso(expiry_date)},
    )
    return api_key, key


@transaction.atomic
def api_key_update(*, api_key: BrandAPIKey, actor: Actor, **fields: Any) -> BrandAPIKey:
    """Rename a key or move its expiry; the audit row names the fields and both expiry dates."""
    _check_fields(fields, API_KEY_FIELDS)
    changed = sorted(name for name, value in fields.items() if getattr(api_key, name) != value)
    if not changed:
        return api_key
    data: dict[str, Any] = {"fields": changed}
    if "expiry_date" in changed:
        data["expiry_date"] = {"from": _iso(api_key.expiry_date), "to": _iso(fields["expiry_date"])}
    for name in changed:
        setattr(api_key, name, fields[name])
    api_key.save(update_fields=changed)
    audit_record(action="api_key.updated", actor=actor, obj=api_key, brand=api_key.brand, data=data)
    return api_key


@transaction.atomic
def api_key_revoke(*, api_key: BrandAPIKey, actor: Actor) -> BrandAPIKey:
    """Revoke an API key; requests with it are refused from now on."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
        audit_record(action="api_key.revoked", actor=actor, obj=api_key, brand=api_key.brand)
    return api_key


@transaction.atomic
def api_keys_expire(*, now: datetime | None = None, actor: Actor = "task:api_keys_expire") -> int:
    """Record ``api_key.expired`` once for each key whose expiry has passed; return how many.

    Authentication refuses an expired key by its date alone; this leaves the moment in the
    audit trail. A key whose expiry is moved later and passes again is recorded again.
    """
    now = now or timezone.now()
    # The lock makes a second sweep wait, then see the first one's rows.
    due = list(
        BrandAPIKey.objects.filter(revoked=False, expiry_date__lte=now)
        .select_related("brand")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not due:
        return 0
    recorded = set(
        AuditEvent.objects.filter(
            action="api_key.expired",
            content_type=ContentType.objects.get_for_model(BrandAPIKey),
            object_id__in=[str(api_key.pk) for api_key in due],
        ).values_list("object_id", "data__expiry_date")
    )
    count = 0
    for api_key in due:
        expiry = _iso(api_key.expiry_date)
        if (str(api_key.pk), expiry) in recorded:
            continue
        audit_record(
            action="api_key.expired",
            actor=actor,
            obj=api_key,
            brand=api_key.brand,
            data={"prefix": api_key.prefix, "expiry_date": expiry},
        )
        count += 1
    return count


def user_language_set(*, user: Any, language: str) -> None:
    """Remember the language a staff user chose (the header's switch): the portal speaks it on every device."""
    from portal.models import UserPreference

    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    user._portal_language = language

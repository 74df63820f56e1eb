"""A brand's SMS vendor account: created and changed here, each change with its audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from notifications.models import SmsAccount
from portal.actors import Actor
from portal.fields import Secret
from portal.models import Brand
from portal.services import audit_record

# Fields an account manager edits; the password is set only through ``password=``.
SMS_ACCOUNT_FIELDS = frozenset(("vendor", "base_url", "username", "price_per_segment", "is_active"))


@transaction.atomic
def sms_account_create_or_update(
    *, brand: Brand, actor: Actor, password: str | None = None, **fields: Any
) -> tuple[SmsAccount, bool]:
    """Create the brand's SMS account or change the fields given; return (account, created).

    The audit row names the fields that changed ("password" when it was replaced), never a
    value of the password; no row is written when nothing changed.
    """
    unknown = set(fields) - SMS_ACCOUNT_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    account = SmsAccount.objects.select_for_update().filter(brand=brand).first()
    created = account is None
    if account is None:
        account = SmsAccount(brand=brand)
    changed = [name for name, value in fields.items() if created or getattr(account, name) != value]
    for name in changed:
        setattr(account, name, fields[name])
    if password:
        account.password = Secret(password)
        changed.append("password")
    if not changed and not created:
        return account, False
    account.full_clean()
    account.save()
    audit_record(
        action="sms_account.created" if created else "sms_account.updated",
        actor=actor,
        obj=account,
        brand=brand,
        data={"fields": sorted(changed)},
    )
    return account, created

"""Demo data for ``make run``: brands, one login per role. Safe to run again."""

from __future__ import annotations

from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from portal.choices import AccountType, ApplicationPath, LegalEntityType, Role
from portal.models import Brand
from portal.services import brand_create_or_update

DEMO_PASSWORD = "pnp-demo-2026"

# username → (role or None for the superuser, display name)
DEMO_USERS: dict[str, tuple[str | None, str]] = {
    "admin": (None, "Portal administrator"),
    "reviewer": (Role.COMPLIANCE_REVIEWER, "林審核 Lin (compliance reviewer)"),
    "reviewer2": (Role.COMPLIANCE_REVIEWER, "陳審核 Chen (second reviewer)"),
    "manager": (Role.ACCOUNT_MANAGER, "王經理 Wang (account manager, demo-shop)"),
    "manager2": (Role.ACCOUNT_MANAGER, "張經理 Chang (account manager, acme-telecom)"),
    "finance": (Role.FINANCE, "李財務 Lee (finance)"),
    "finance2": (Role.FINANCE, "黃財務 Huang (second finance approver)"),
}

# slug → (name, channel id, secret, token, account manager, extra fields)
DEMO_BRANDS: dict[str, tuple[str, str, str, str, str, dict[str, Any]]] = {
    "demo-shop": (
        "示範商店 Demo Shop",
        "1650000001",
        "demo-shop-channel-secret-0001",
        "demo-shop-access-token-0001",
        "manager",
        {"is_certified_provider": True, "application_path": ApplicationPath.DIRECT},
    ),
    "acme-telecom": (
        "頂尖電信 Acme Telecom",
        "1650000002",
        "acme-telecom-channel-secret-02",
        "acme-telecom-token-02",
        "manager2",
        {"is_certified_provider": True, "application_path": ApplicationPath.PARTNER},
    ),
    "sunrise-clinic": (
        "日昇診所 Sunrise Clinic",
        "1650000003",
        "sunrise-clinic-secret-0003",
        "sunrise-clinic-token-03",
        "manager",
        {"account_type": AccountType.VERIFIED_BLUE, "legal_entity_type": LegalEntityType.MEDICAL_INSTITUTION},
    ),
}


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Create the demo users and brands that are missing; change nothing that exists."""
    user_model = get_user_model()
    for username, (role, full_name) in DEMO_USERS.items():
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "is_superuser": role is None,
                "first_name": full_name,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if role is not None:
                user.groups.add(Group.objects.get(name=str(role)))
            stdout.write(f"  user {username}\n")
    for slug, (name, channel_id, secret, token, manager, extra) in DEMO_BRANDS.items():
        if Brand.objects.filter(slug=slug).exists():
            continue
        brand_create_or_update(
            slug=slug,
            name=name,
            channel_id=channel_id,
            channel_secret=secret,
            access_token=token,
            actor="command:seed_demo",
            account_managers=[user_model.objects.get(username=manager)],
            **extra,
        )
        stdout.write(f"  brand {slug}\n")

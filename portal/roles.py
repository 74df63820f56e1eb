"""The staff roles and exactly the model permissions each one holds.

The portal's own permissions are listed here; each app lists its own in ``<app>/roles.py``
(a ``ROLE_PERMISSIONS`` dict of the same shape) and has a data migration that calls
:func:`apply_role_permissions`, so the groups are right on every fresh database.
Row-level rules (an account manager sees only the brands assigned to them) live in
:mod:`portal.selectors` and are applied by every admin and API view.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from portal.choices import Role

# Apps whose ``roles.py`` adds to the roles, in dependency order.
ROLE_APPS = ("members", "compliance", "applications", "notifications", "binding", "billing")

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMPLIANCE_REVIEWER: {
        "portal.view_brand",
        "portal.view_auditevent",
    },
    Role.ACCOUNT_MANAGER: {
        "portal.view_brand",
        "portal.change_brand",
        "portal.view_brandapikey",
        "portal.add_brandapikey",
        "portal.change_brandapikey",
        "portal.view_auditevent",
    },
    Role.FINANCE: {
        "portal.view_brand",
    },
}


def role_permissions() -> dict[str, set[str]]:
    """Return every role's permissions: the portal's own plus each app's ``roles.py``."""
    merged = {role: set(codes) for role, codes in ROLE_PERMISSIONS.items()}
    for app in ROLE_APPS:
        try:
            module = import_module(f"{app}.roles")
        except ModuleNotFoundError as exc:
            if exc.name not in (app, f"{app}.roles"):
                raise
            continue
        for role, codes in module.ROLE_PERMISSIONS.items():
            merged.setdefault(role, set()).update(codes)
    return merged


def apply_role_permissions(apps: Any, schema_editor: Any) -> None:
    """Create the role groups and give each exactly its listed permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs carry no models module; create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codes in role_permissions().items():
        group, _ = group_model.objects.get_or_create(name=str(role))
        wanted = []
        for code in sorted(codes):
            app_label, codename = code.split(".")
            permission = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:  # the app that owns it may not be migrated yet
                wanted.append(permission)
        group.permissions.set(wanted)

"""No admin falls back to Django's own save or delete, which would write without an audit row.

Where an admin lets anybody (a superuser, say) add, change or delete, it must route the write
through a service: it overrides ``save_model`` / ``delete_model`` / ``delete_queryset``. The
static check (``test_admin_writes``) reads the overrides; this one finds the missing ones.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

# Apps whose admins are not the portal's own records: Django's users and groups (accounts are
# managed by superusers, and Django logs each change in its own LogEntry), django-axes' lockouts,
# and the LINE sandbox (a simulator with no audit trail).
NOT_CHECKED = {"auth", "axes", "line_sandbox"}


def _stock_writes(superuser: User) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in NOT_CHECKED:
            continue
        name = f"{model._meta.label}"
        cls = type(model_admin)
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
            if cls.save_model is admin.ModelAdmin.save_model:
                found.append(f"{name}: save_model")
        if model_admin.has_delete_permission(request):
            for hook in ("delete_model", "delete_queryset"):
                if getattr(cls, hook) is getattr(admin.ModelAdmin, hook):
                    found.append(f"{name}: {hook}")
    return sorted(found)


def test_every_admin_that_writes_routes_its_writes_through_a_service(superuser: User) -> None:
    assert _stock_writes(superuser) == []

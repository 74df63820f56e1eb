"""No list's brand filter names a brand the user does not manage."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from portal.admin_mixins import _is_brand_path
from portal.models import Brand

pytestmark = pytest.mark.django_db


def _lists_with_a_brand_filter() -> list[str]:
    found = []
    for model, model_admin in admin.site._registry.items():
        filters = model_admin.list_filter
        paths = [entry if isinstance(entry, str) else entry[0] for entry in filters if isinstance(entry, str | tuple)]
        if any(_is_brand_path(path) for path in paths):
            found.append(f"{model._meta.app_label}_{model._meta.model_name}")
    return sorted(found)


def test_the_lists_with_a_brand_filter_are_the_ones_this_test_knows() -> None:
    # A new list with a brand filter is checked below for the manager as well.
    assert {
        "billing_linedailycount",
        "billing_statement",
        "binding_welcomemessage",
        "compliance_brandlinkdomain",
        "compliance_messagetemplate",
        "compliance_templateversion",
        "notifications_notification",
        "notifications_webhookevent",
        "portal_auditevent",
        "portal_brandapikey",
    } <= set(_lists_with_a_brand_filter())


@pytest.mark.parametrize("changelist", _lists_with_a_brand_filter())
def test_a_managers_brand_filter_offers_only_their_brands(
    client: Client, manager: User, brand: Brand, other_brand: Brand, changelist: str
) -> None:
    client.force_login(manager)
    response = client.get(reverse(f"admin:{changelist}_changelist"))
    if response.status_code == 403:
        return  # the role cannot open this list at all
    assert response.status_code == 200
    page = response.content.decode()
    assert other_brand.name not in page

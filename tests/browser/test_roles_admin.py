"""Each demo role logs in to the admin in a real browser and sees only what it may."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from portal.models import Brand
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Page, live_server: object, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def test_an_account_manager_sees_only_their_own_brands(
    page: Page, live_server: object, manager: User, brand: Brand, other_brand: Brand, other_manager: User
) -> None:
    login(page, live_server, "manager")
    expect(page.locator("a[href$='/admin/portal/brandapikey/']").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/portal/brand/")  # type: ignore[attr-defined]
    expect(page.locator("#result_list")).to_contain_text("Acme Shop")
    expect(page.locator("#result_list")).not_to_contain_text("Globex Telecom")
    page.screenshot(path="var/screenshots/roles-manager-brands.png", full_page=True)
    response = page.goto(f"{live_server.url}/admin/portal/brand/{other_brand.pk}/change/")  # type: ignore[attr-defined]
    assert response is not None
    expect(page.locator("body")).not_to_contain_text("Globex Telecom")


def test_a_compliance_reviewer_reads_brands_but_has_no_api_keys_or_edit_rights(
    page: Page, live_server: object, reviewer: User, brand: Brand, other_brand: Brand
) -> None:
    login(page, live_server, "reviewer")
    expect(page.locator("a[href$='/admin/portal/brandapikey/']")).to_have_count(0)
    page.goto(f"{live_server.url}/admin/portal/brand/{brand.pk}/change/")  # type: ignore[attr-defined]
    expect(page.locator("input[name=name]")).to_have_count(0)  # read-only view
    expect(page.locator("body")).not_to_contain_text("acme-access-token")
    page.goto(f"{live_server.url}/admin/portal/brand/")  # type: ignore[attr-defined]
    expect(page.locator("#result_list")).to_contain_text("Globex Telecom")


def test_finance_sees_brands_read_only_and_no_audit_trail_or_keys(
    page: Page, live_server: object, finance: User, brand: Brand
) -> None:
    login(page, live_server, "finance")
    expect(page.locator("a[href$='/admin/portal/brandapikey/']")).to_have_count(0)
    expect(page.locator("a[href$='/admin/portal/auditevent/']")).to_have_count(0)
    page.goto(f"{live_server.url}/admin/portal/brand/")  # type: ignore[attr-defined]
    expect(page.locator("#result_list")).to_contain_text("Acme Shop")
    expect(page.locator("#content-main a.addlink")).to_have_count(0)


def test_a_superuser_creates_an_api_key_and_sees_it_once(
    page: Page, live_server: object, superuser: User, brand: Brand
) -> None:
    login(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/portal/brandapikey/add/")  # type: ignore[attr-defined]
    page.select_option("#id_brand", str(brand.pk))
    page.fill("#id_name", "ERP")
    page.click("input[name=_save]")
    message = page.locator(".messagelist .warning")
    expect(message).to_contain_text("cannot be shown again")
    page.screenshot(path="var/screenshots/roles-api-key-created.png", full_page=True)
    page.reload()
    expect(page.locator(".messagelist")).to_have_count(0)

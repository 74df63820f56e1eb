"""An author submits, a reviewer asks for changes, the author fixes, a second reviewer approves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from compliance.choices import TemplateStatus, UseCase
from compliance.models import BrandLinkDomain, TemplateVersion
from compliance.services import template_create
from portal.choices import Role
from portal.models import Brand
from tests.compliance.conftest import SHIPPING_CONTENT
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser]


def login(browser: Browser, context_args: dict[str, Any], base: str, username: str) -> Page:
    page = browser.new_context(**context_args).new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)
    return page


def open_from_queue(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/compliance/reviewqueueitem/")
    page.get_by_role("link", name="shipping_notice v1").click()


def test_a_template_goes_through_changes_requested_to_approval_by_a_second_reviewer(
    transactional_db: None,
    live_server: Any,
    browser: Browser,
    browser_context_args: dict[str, Any],
    make_brand: Callable[..., Brand],
    make_user: Callable[..., User],
) -> None:
    # given a brand, its account manager, two reviewers and a draft
    base = live_server.url
    brand = make_brand("acme", name="Acme Shop")
    BrandLinkDomain.objects.create(brand=brand, domain="acme.example")
    author = make_user("author", Role.ACCOUNT_MANAGER)
    brand.account_managers.add(author)
    make_user("lin", Role.COMPLIANCE_REVIEWER)
    make_user("chen", Role.COMPLIANCE_REVIEWER)
    template = template_create(
        brand=brand, code="shipping_notice", name="Shipping", use_case=UseCase.DELIVERY_NOTICE, author=author,
        **SHIPPING_CONTENT,
    )  # fmt: skip
    version = template.versions.get()
    edit_url = f"{base}/admin/compliance/templateversion/{version.pk}/change/"

    # the author submits
    author_page = login(browser, browser_context_args, base, "author")
    author_page.goto(edit_url)
    author_page.click("#submit-for-review")
    expect(author_page.locator(".messagelist")).to_contain_text("review queue")
    expect(author_page.locator("#version-status")).to_contain_text("Submitted")

    # the first reviewer takes it and requests changes with a coded reason
    lin = login(browser, browser_context_args, base, "lin")
    open_from_queue(lin, base)
    expect(lin.locator("#line-preview")).to_contain_text("A20260101")
    expect(lin.locator("#sms-segments")).to_contain_text("1 segment")
    lin.click("#start-review")
    expect(lin.locator("#locked-to")).to_contain_text("lin")
    lin.screenshot(path="var/screenshots/template_review_page.png", full_page=True)
    lin.check("input[name=reasons][value=wording]")
    lin.fill("textarea[name=comment]", "Name the courier.")
    lin.click("#request-changes")
    expect(lin.locator(".messagelist")).to_contain_text("Sent back to the author")

    # the author sees the reasons, fixes the text and resubmits
    author_page.goto(edit_url)
    expect(author_page.locator("#change-reasons")).to_contain_text("Name the courier.")
    text = author_page.locator("textarea[name=text]")
    text.fill(text.input_value().replace("已於 {event_time} 出貨", "已於 {event_time} 由黑貓宅急便出貨"))
    author_page.click("#submit-for-review")
    expect(author_page.locator("#version-status")).to_contain_text("Submitted")

    # the first reviewer's lock is gone; a second reviewer approves after confirming the manual rule
    chen = login(browser, browser_context_args, base, "chen")
    chen.goto(f"{base}/admin/compliance/reviewqueueitem/")
    chen.screenshot(path="var/screenshots/template_review_queue.png", full_page=True)
    open_from_queue(chen, base)
    chen.click("#start-review")
    expect(chen.locator("#approve")).to_be_visible()
    expect(chen.locator("table.tpl-diff")).to_have_count(0)  # no earlier approved version
    chen.check("input[name=rule-BUTTON_RELATES][value=pass]")
    chen.fill("input[name=note-BUTTON_RELATES]", "Opens the order page.")
    chen.click("#approve")
    expect(chen.locator(".messagelist")).to_contain_text("Approved")

    # then the version is approved by chen and the audit trail shows every step
    version.refresh_from_db()
    assert version.status == TemplateStatus.APPROVED and version.reviewer.username == "chen"
    chen.goto(f"{base}/admin/compliance/reviewqueueitem/{version.pk}/change/")
    trail = chen.locator("#audit-trail")
    for row in [
        ("author", "template.submitted"),
        ("lin", "template.review_started"),
        ("lin", "template.changes_requested"),
        ("author", "template.draft_updated"),
        ("chen", "template.rule_reviewed"),
        ("chen", "template.approved"),
    ]:
        expect(trail.locator("tr", has_text=row[1]).filter(has_text=row[0]).first).to_be_visible()
    assert TemplateVersion.objects.get(pk=version.pk).locked_to is None
    chen.screenshot(path="var/screenshots/template_review_approved.png", full_page=True)

"""A reviewer overrules a wrong blocking finding, a second reviewer confirms it and approves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from compliance.choices import TemplateStatus, UseCase
from compliance.models import BrandLinkDomain
from compliance.services import template_create
from portal.choices import Role
from portal.models import Brand
from tests.browser.test_template_review import login
from tests.compliance.conftest import SHIPPING_CONTENT

pytestmark = [pytest.mark.browser]
SHOTS = Path("/tmp/shots-review")


def test_a_blocking_finding_is_overruled_confirmed_by_a_second_reviewer_and_the_version_approved(
    transactional_db: None,
    live_server: Any,
    browser: Browser,
    browser_context_args: dict[str, Any],
    make_brand: Callable[..., Brand],
    make_user: Callable[..., User],
) -> None:
    # given a draft whose tracking button leads to the post office's site, off the brand's allow-list
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    brand = make_brand("acme", name="Acme Shop")
    BrandLinkDomain.objects.create(brand=brand, domain="acme.example")
    author = make_user("author", Role.ACCOUNT_MANAGER)
    brand.account_managers.add(author)
    make_user("lin", Role.COMPLIANCE_REVIEWER)
    make_user("chen", Role.COMPLIANCE_REVIEWER)
    content = {
        **SHIPPING_CONTENT,
        "button_label": "查詢郵件",
        "button_url": "https://postserv.post.gov.example/track/{order_id}",
    }
    version = template_create(
        brand=brand, code="shipping_notice", name="Shipping", use_case=UseCase.DELIVERY_NOTICE, author=author,
        **content,
    ).versions.get()  # fmt: skip
    edit_url = f"{base}/admin/compliance/templateversion/{version.pk}/change/"
    review_url = f"{base}/admin/compliance/reviewqueueitem/{version.pk}/change/"

    # the author cannot submit: LINK_DOMAIN blocks, and the message says a reviewer may overrule
    author_page = login(browser, browser_context_args, base, "author")
    author_page.goto(edit_url)
    author_page.click("#submit-for-review")
    expect(author_page.locator(".messagelist")).to_contain_text("may overrule it")

    # a reviewer overrules the finding with a coded reason and a note
    lin = login(browser, browser_context_args, base, "lin")
    lin.goto(review_url)
    row = lin.locator("tr[data-rule=LINK_DOMAIN]")
    expect(row.locator(".rule-clause a")).to_have_attribute(
        "href", "/admin/compliance/reviewqueueitem/clauses/#clause-next-step-related"
    )
    row.locator("summary").click()
    row.locator("select[name=overrule_reason-LINK_DOMAIN]").select_option("line_approved")
    row.locator("input[name=overrule_note-LINK_DOMAIN]").fill(
        "Chunghwa Post's tracking page, in the brand's application"
    )
    row.get_by_role("button", name="Overrule", exact=True).click()
    expect(lin.locator(".messagelist")).to_contain_text("LINK_DOMAIN overruled")
    expect(lin.locator("#overrules")).to_contain_text("waiting for a second reviewer")

    # the author submits now; a second reviewer takes it, confirms the overrule and approves
    author_page.goto(edit_url)
    author_page.click("#submit-for-review")
    expect(author_page.locator("#version-status")).to_contain_text("Submitted")
    chen = login(browser, browser_context_args, base, "chen")
    chen.goto(review_url)
    chen.click("#start-review")
    chen.click("#approve")
    expect(chen.locator(".messagelist")).to_contain_text("a second reviewer must confirm")
    chen.click("#confirm-LINK_DOMAIN")
    expect(chen.locator("#overrules")).to_contain_text("chen")
    chen.screenshot(path=str(SHOTS / "review_overruled_en.png"), full_page=True)
    zh = login(
        browser,
        {**browser_context_args, "locale": "zh-TW", "extra_http_headers": {"Accept-Language": "zh-hant"}},
        base,
        "lin",
    )
    zh.goto(review_url)
    expect(zh.locator("tr[data-rule=LINK_DOMAIN]")).to_contain_text("已推翻")
    zh.screenshot(path=str(SHOTS / "review_overruled_zh_hant.png"), full_page=True)
    chen.check("input[name=rule-BUTTON_RELATES][value=pass]")
    chen.fill("input[name=note-BUTTON_RELATES]", "Opens the parcel's tracking page.")
    chen.click("#approve")
    expect(chen.locator(".messagelist")).to_contain_text("Approved")
    version.refresh_from_db()
    assert version.status == TemplateStatus.APPROVED

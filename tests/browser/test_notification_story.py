"""A member calls: the account manager finds the notification by phone, reads its story, downloads the proof."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from notifications.models import Notification
from tests.conftest import PASSWORD
from tests.notifications.conftest import approve_template, make_member  # noqa: F401 (fixtures)
from tests.notifications.test_story import sent  # noqa: F401 (fixture)

SCREENSHOTS = Path("/tmp/shots-support")


@pytest.mark.browser
def test_member_calls_find_by_phone_open_the_notification_download_the_evidence_pack(
    browser: Browser,
    live_server,
    transactional_db: None,
    manager: User,
    sent: Callable[..., Notification],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    # given a delivered PNP and another member's notification
    notification = sent("M1", "0912-345-678", delivered=True)
    sent("M2", "0912-000-111")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for locale, suffix in (("zh-TW", "zh-hant"), ("en-US", "en")):
        page = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900}).new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", manager.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        # when the member reads out their number, written as people say it
        page.goto(f"{live_server.url}/admin/notifications/notification/")
        page.fill("#searchbar", "0912 345 678")
        page.press("#searchbar", "Enter")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        expect(page.locator("#result_list")).to_contain_text("0912-***-678")
        page.screenshot(path=str(SCREENSHOTS / f"search-by-phone-{suffix}.png"), full_page=True)
        page.click(f"#result_list a[href*='/{notification.pk}/change/']")
        expect(page.locator("#milestones")).to_be_visible()
        expect(page.locator("#line-preview .line-bubble")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"notification-story-{suffix}.png"), full_page=True)
        page.goto(f"{live_server.url}/admin/members/member/{notification.member_id}/change/")
        expect(page.locator("#member-notifications")).to_contain_text(f"#{notification.pk}")
        page.screenshot(path=str(SCREENSHOTS / f"member-page-{suffix}.png"), full_page=True)
        page.goto(f"{live_server.url}/admin/notifications/notification/?q=0912-345")
        page.screenshot(path=str(SCREENSHOTS / f"search-malformed-phone-{suffix}.png"), full_page=True)
    # then the evidence pack downloads from the story page and reads back
    page.goto(f"{live_server.url}/admin/notifications/notification/{notification.pk}/change/")
    with page.expect_download() as download:
        page.click("#evidence-pdf")
    target = tmp_path / "evidence.pdf"
    download.value.save_as(target)
    text = "".join(p.extract_text() for p in PdfReader(target).pages)
    assert notification.attempts.get().reference in "".join(text.split())

"""An account manager records LINE's e-mail three working days late, sees the forecast move, sends the summary."""

from __future__ import annotations

import io
import os
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, FilePayload, Page, expect
from pypdf import PdfReader

from applications import demo as applications_demo
from applications.choices import Stage
from applications.models import Application
from applications.selectors import application_status
from applications.workdays import current_calendar
from portal import demo as portal_demo

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# Screenshots of the changed pages, in both languages, for a person to look at.
SHOTS = Path(os.environ.get("APPLICATIONS_SHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"))


@pytest.fixture(autouse=True)
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]


def login(browser: Browser, context_args: dict[str, Any], base: str, *, locale: str) -> Page:
    page = browser.new_context(**{**context_args, "locale": locale}, accept_downloads=True).new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", portal_demo.DEMO_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("manager")
    return page


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_move_recorded_three_working_days_late_moves_the_forecast_and_the_summary_downloads(
    live_server: Any, browser: Browser, browser_context_args: dict[str, Any]
) -> None:
    # given the demo, and demo-shop's application waiting (overdue) for LINE's Service Plan review
    portal_demo.seed(io.StringIO())
    applications_demo.seed(io.StringIO())
    application = Application.objects.get(brand__slug="demo-shop", stage=Stage.SERVICE_PLAN_REVIEW)
    calendar = current_calendar()
    today = timezone.localdate()
    # three working days before the last working day on or before today (a weekend's Saturday
    # is no working day, so three back from it would be only two before a move made today)
    three_ago = calendar.add_working_days(calendar.add_working_days(calendar.add_working_days(today, 1), -1), -3)
    before = application_status(application, today=today, calendar=calendar).forecast_go_live
    assert before is not None
    page = login(browser, browser_context_args, live_server.url, locale="en-US")
    change = f"{live_server.url}/admin/applications/application/{application.pk}/change/"
    page.goto(change)
    expect(page.locator("#pnp-forecast")).to_have_text(before.isoformat())
    shot(page, "en-change-before")

    # when LINE's e-mail granting test permission, received three working days ago, is recorded now
    page.locator("#id_effective_at").fill(
        timezone.make_aware(datetime.combine(three_ago, time(10, 0))).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("#pnp-move-note").fill("LINE's e-mail: test permission granted")
    mail: FilePayload = {"name": "line-test-permission.eml", "mimeType": "message/rfc822", "buffer": b"From: LINE"}
    page.locator("#id_evidence_file").set_input_files(files=[mail])
    page.locator(f"button[name=to_stage][value={Stage.TEST_PERMISSION_REQUESTED}]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Moved to “Test permission requested”.")

    # then the window counts from three working days ago, and the forecast is three working days earlier
    application.refresh_from_db()
    assert timezone.localdate(application.stage_entered_at) == three_ago
    after = application_status(application, today=today, calendar=calendar).forecast_go_live
    assert after == calendar.add_working_days(before, -3)
    expect(page.locator("#pnp-forecast")).to_have_text(after.isoformat())
    expect(page.locator("#pnp-forecast-why")).to_contain_text(f"in it since {three_ago.isoformat()}")
    recorded = page.locator(".pnp-move-row", has_text="line-test-permission.eml")
    expect(recorded).to_contain_text(three_ago.isoformat())
    expect(recorded).to_contain_text(today.isoformat())  # recorded today
    shot(page, "en-change-after")

    # a withdrawal asks first and says it is final
    page.locator(f"button[name=to_stage][value={Stage.WITHDRAWN}]").click()
    expect(page.locator(".pnp-confirm")).to_contain_text("This is final")
    shot(page, "en-confirm-withdraw")
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator("#pnp-forecast")).to_have_text(after.isoformat())

    # the brand summary, as text and as a PDF
    page.get_by_role("link", name="Status summary for the brand").click()
    expect(page.locator("#pnp-summary-text")).to_contain_text("Stage: Test permission requested")
    expect(page.locator("#pnp-summary-text")).to_contain_text(f"Forecast go-live: {after.isoformat()}")
    shot(page, "en-summary")
    with page.expect_download() as download_info:
        page.locator("#pnp-summary-pdf").click()
    pdf = PdfReader(download_info.value.path())
    assert "Test permission requested" in pdf.pages[0].extract_text()

    page.goto(f"{live_server.url}/admin/applications/application/week/")
    expect(page.locator("#pnp-week-nda")).to_be_visible()
    shot(page, "en-week")
    page.goto(f"{live_server.url}/admin/applications/application/")
    expect(page.locator("#result_list")).to_contain_text("blocked: blue-shield special approval")
    shot(page, "en-list")

    # and the same pages in Traditional Chinese
    zh = login(browser, browser_context_args, live_server.url, locale="zh-TW")
    zh.goto(change)
    expect(zh.locator("#pnp-forecast-why")).to_contain_text("預估上線日的計算方式")
    shot(zh, "zh-change")
    zh.goto(f"{live_server.url}/admin/applications/application/{application.pk}/summary/")
    expect(zh.locator("#pnp-summary-text")).to_contain_text("PNP 申請進度")
    shot(zh, "zh-summary")
    zh.goto(f"{live_server.url}/admin/applications/application/week/")
    shot(zh, "zh-week")
    zh.goto(f"{live_server.url}/admin/applications/application/")
    expect(zh.locator("#result_list")).to_contain_text("受阻：藍盾特別核准")
    shot(zh, "zh-list")
    blocked = Application.objects.get(brand__slug="sunrise-clinic")
    zh.goto(f"{live_server.url}/admin/applications/application/{blocked.pk}/change/")
    shot(zh, "zh-blocked")
    zh.locator(f"button[name=to_stage][value={Stage.WITHDRAWN}]").click()
    shot(zh, "zh-confirm-withdraw")

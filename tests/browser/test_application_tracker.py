"""An account manager walks one direct application from documents to live in the admin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from applications import demo as applications_demo
from applications.choices import Stage
from applications.models import Application
from applications.selectors import CONFIRMED_MOVES
from portal import demo as portal_demo
from portal.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(autouse=True)
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]


def upload(page: Page, kind: str, filename: str, *, signed_on: str = "", expires_on: str = "") -> None:
    """Add one document row to the inline, fill it in and save the application."""
    page.locator("#documents-group .add-row a").click()
    row = page.locator("tr.dynamic-documents").last
    row.locator("select[name$='-kind']").select_option(kind)
    row.locator("input[type=file]").set_input_files(
        files=[{"name": filename, "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " + filename.encode()}]
    )
    if signed_on:
        row.locator("input[name$='-signed_on']").fill(signed_on)
        row.locator("input[name$='-expires_on']").fill(expires_on)
    page.locator("input[name=_continue]").click()
    expect(page.locator("ul.messagelist li.success")).to_be_visible()


def move(page: Page, stage: Stage, note: str = "") -> None:
    if note:
        page.locator("#pnp-move-note").fill(note)
    page.locator(f"button[name=to_stage][value={stage}]").click()
    if stage in CONFIRMED_MOVES:
        expect(page.locator(".pnp-confirm")).to_contain_text("This is final")
        page.locator(".pnp-confirm button[type=submit]").click()
    with translation.override("en"):
        label = str(stage.label)
    expect(page.locator("ul.messagelist")).to_contain_text(f"Moved to “{label}”.")


def test_an_account_manager_takes_a_direct_application_from_documents_to_live(live_server, page: Page) -> None:  # type: ignore[no-untyped-def]
    # given the demo brands, users and applications
    portal_demo.seed(io.StringIO())
    applications_demo.seed(io.StringIO())
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", portal_demo.DEMO_PASSWORD)
    page.click("input[type=submit]")

    # when the manager opens a new application for demo-shop
    page.goto(f"{live_server.url}/admin/applications/application/add/")
    page.locator("#id_brand").select_option(label="示範商店 Demo Shop")
    page.locator("#id_path").select_option("direct")
    page.get_by_label("Payment completed").check()
    page.get_by_label("Repair completed").check()
    page.locator("#id_owner").select_option(label="manager")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".pnp-summary")).to_contain_text("Preparing documents")
    application = Application.objects.order_by("-pk").first()
    assert application is not None and application.brand.slug == "demo-shop"

    # the Service Plan cannot go to LINE before the NDA is on file
    expect(page.locator(".pnp-blocked")).to_contain_text("Upload the signed NDA valid on")
    expect(page.locator(f"button[value={Stage.SERVICE_PLAN_REVIEW}]")).to_be_disabled()

    upload(page, "nda", "nda-signed.pdf", signed_on="2026-01-05", expires_on="2028-01-04")
    upload(page, "service_plan", "service-plan.pdf")
    upload(page, "permission_form", "permission-form.pdf")
    move(page, Stage.SERVICE_PLAN_REVIEW, note="Sent to LINE with the permission form")
    expect(page.locator(".pnp-summary")).to_contain_text("LINE")
    move(page, Stage.TEST_PERMISSION_REQUESTED)
    move(page, Stage.BRAND_TESTING)
    expect(page.locator(f"button[value={Stage.TEST_RESULTS_REVIEW}]")).to_be_disabled()
    upload(page, "test_screenshot", "test-results.png")
    move(page, Stage.TEST_RESULTS_REVIEW)
    upload(page, "io_contract", "io-contract.pdf")
    move(page, Stage.PRODUCTION_PERMISSION_REQUESTED)
    page.screenshot(path=str(SCREENSHOTS / "application-timeline.png"), full_page=True)
    move(page, Stage.LIVE, note="Go-live announced to LINE")

    # then it is live, with every step on its timeline and in the audit trail
    expect(page.locator(".pnp-summary")).to_contain_text("Live")
    expect(page.locator("button[name=to_stage]")).to_have_count(0)
    application.refresh_from_db()
    assert application.stage == Stage.LIVE
    assert [t.to_stage for t in application.transitions.all()] == [
        Stage.PREPARING_DOCUMENTS,
        Stage.SERVICE_PLAN_REVIEW,
        Stage.TEST_PERMISSION_REQUESTED,
        Stage.BRAND_TESTING,
        Stage.TEST_RESULTS_REVIEW,
        Stage.PRODUCTION_PERMISSION_REQUESTED,
        Stage.LIVE,
    ]
    assert application.documents.count() == 5
    assert AuditEvent.objects.filter(object_id=str(application.pk), action="application.moved").count() == 6

    # and the list shows it among the manager's other applications, the overdue one flagged
    page.goto(f"{live_server.url}/admin/applications/application/")
    expect(page.locator("#result_list")).to_contain_text("working days overdue")
    expect(page.locator("#result_list")).to_contain_text("日昇診所 Sunrise Clinic")
    expect(page.locator("#result_list")).not_to_contain_text("Acme Telecom")
    page.screenshot(path=str(SCREENSHOTS / "application-list.png"), full_page=True)
    overdue = Application.objects.get(brand__slug="demo-shop", stage=Stage.SERVICE_PLAN_REVIEW)
    page.goto(f"{live_server.url}/admin/applications/application/{overdue.pk}/change/")
    page.screenshot(path=str(SCREENSHOTS / "application-overdue.png"), full_page=True)
    blocked = Application.objects.get(brand__slug="sunrise-clinic")
    page.goto(f"{live_server.url}/admin/applications/application/{blocked.pk}/change/")
    expect(page.locator(".pnp-blocked")).to_contain_text("blue-shield")
    page.screenshot(path=str(SCREENSHOTS / "application-blocked.png"), full_page=True)

"""Finance opens the dashboard and a statement, exports it, records LINE's invoice, explains its difference,
closes the month with a second finance user and downloads the PDF."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from billing.demo import _day_counts
from billing.invoicing import billing_profile_save, three_way
from billing.models import LineDailyCount, LineInvoice, Statement, UnitPrice
from billing.periods import JST, days
from notifications.choices import Channel, Metric
from notifications.models import SmsAccount
from notifications.stats import stats_add
from portal.choices import Role
from portal.models import Brand
from tests.browser.test_roles_admin import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finance2(make_user: Callable[..., User]) -> User:
    return make_user("finance2", Role.FINANCE)


def seed_january(brand: Brand) -> None:
    """A month of figures (the demo's pattern), LINE's counts (one 3 below the portal's), the billing profile."""
    billing_profile_save(
        brand=brand,
        actor="test",
        legal_name="Acme Shop Co., Ltd.",
        tax_id="04595257",
        address="No. 7, Xinyi Road, Taipei",
        contact_email="billing@acme.example",
    )
    # The price seeded by billing's data migration; an earlier transactional test's flush removes it.
    UnitPrice.objects.get_or_create(
        channel="pnp", effective_from=date(2023, 1, 1), defaults={"price": Decimal("0.2000")}
    )
    SmsAccount.objects.create(brand=brand, base_url="http://127.0.0.1:9/sms", price_per_segment=Decimal("0.9"))
    rng = random.Random(7)
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    for day in days(date(2026, 1, 1), date(2026, 1, 31)):
        counts.update(_day_counts(rng, brand.pk, day, 400))
    stats_add(counts)
    jst = Counter[date]()
    for (_brand, at, channel, metric), n in counts.items():
        if channel == Channel.PNP and metric == Metric.DELIVERED:
            jst[at.astimezone(JST).date()] += n
    for day in days(date(2026, 1, 1), date(2026, 1, 31)):
        success = jst[day] - (3 if day == date(2026, 1, 12) else 0)
        LineDailyCount.objects.create(
            brand=brand, jst_date=day, status="ready", success=success, fetched_at=datetime.now(JST)
        )


def test_finance_reviews_exports_and_closes_a_month_with_a_second_finance_user(
    page: Page, live_server: object, finance: User, finance2: User, brand: Brand, tmp_path: Path
) -> None:
    # given
    seed_january(brand)
    base = live_server.url  # type: ignore[attr-defined]
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)

    # when: finance opens the dashboard from the admin index
    login(page, live_server, "finance")
    page.click("a[href$='/admin/billing/dashboard/']")
    page.fill("#id_first", "2026-01-01")
    page.fill("#id_last", "2026-01-31")
    page.click("#dashboard-form input[type=submit]")
    expect(page.locator("#card-accepted")).not_to_have_text("0")
    expect(page.locator("svg").first).to_be_visible()
    page.screenshot(path="var/screenshots/billing-dashboard.png", full_page=True)

    # then a statement: compute January's draft
    page.goto(f"{base}/admin/billing/statement/")
    page.click("#generate-statements")
    page.fill("#id_month", "2026-01")
    page.select_option("#id_brand", label=str(brand))
    page.click("#generate-form input[type=submit]")
    expect(page.locator("#statement-status")).to_have_text("draft")
    expect(page.locator("#blocked")).to_be_visible()  # 12 January differs by 3
    page.screenshot(path="var/screenshots/billing-statement.png", full_page=True)

    # export it
    with page.expect_download() as download_info:
        page.click("#export-statement-csv")
    saved = tmp_path / "statement.csv"
    download_info.value.save_as(saved)
    assert "pnp" in saved.read_text(encoding="utf-8-sig")

    # record LINE's invoice: the same amounts, but LINE states 2 messages more than the statement bills
    statement = Statement.objects.get(brand=brand, month=date(2026, 1, 1))
    figures = three_way(statement)
    statement_url = page.url
    page.goto(f"{base}/admin/billing/lineinvoice/add/")
    page.select_option("#id_brand", label=str(brand))
    page.fill("#id_month", "2026-01")
    page.fill("#id_invoice_number", "AB-12345678")
    page.fill("#id_invoice_date", "2026-02-03")
    page.fill("#id_net", str(figures.pnp_net))
    page.fill("#id_tax", str(figures.pnp_tax))
    page.fill("#id_gross", str(figures.pnp_net + figures.pnp_tax + 1))  # a typo first: refused on gross
    page.fill("#id_message_count", str(figures.billed_count + 2))
    page.click("input[name=_save]")
    expect(page.locator(".field-gross .errorlist")).to_contain_text("not the gross")
    page.fill("#id_gross", str(figures.pnp_net + figures.pnp_tax))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    assert LineInvoice.objects.get(brand=brand).invoice_number == "AB12345678"

    # the statement shows the difference, and finance explains it with a code
    page.goto(statement_url)
    expect(page.locator("#count-difference")).to_have_text("2")
    expect(page.locator("#invoice-blocked")).to_be_visible()
    form = page.locator("#invoice-explain-form")
    form.locator("select[name=invoice_reason]").select_option("month_boundary")
    form.locator("input[name=invoice_note]").fill("LINE counted 2 messages of 1 February JST in January")
    form.locator("button[type=submit]").click()
    expect(page.locator("#invoice-explanation")).to_contain_text("LINE counted days of another month")

    # explain the flagged day, finalise
    row = page.locator("#jst-2026-01-12")
    row.locator("select[name=reason]").select_option("late_webhook")
    row.locator("input[name=note]").fill("3 delivery events arrived after LINE closed the day")
    row.locator("button[type=submit]").click()
    expect(page.locator("#blocked")).to_have_count(0)
    page.click("#finalise")
    expect(page.locator("#statement-status")).to_contain_text("finalised")
    expect(page.locator("#awaiting-other")).to_be_visible()
    statement_url = page.url

    # a second finance user confirms
    page.context.clear_cookies()
    login(page, live_server, "finance2")
    page.goto(statement_url)
    page.click("#confirm")
    expect(page.locator("#statement-status")).to_contain_text("confirmed")
    page.screenshot(path="var/screenshots/billing-statement-closed.png", full_page=True)

    # and the PDF downloads: the confirmed bill, without the draft mark
    with page.expect_download() as pdf_info:
        page.click("#download-pdf")
    pdf = tmp_path / "statement.pdf"
    pdf_info.value.save_as(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Monthly statement for 2026-01" in text and "04595257" in text
    assert "AB12345678" in text and "LINE counted 2 messages of 1 February JST in January" in text
    assert "DRAFT" not in text

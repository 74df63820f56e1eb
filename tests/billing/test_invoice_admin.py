"""The invoice side of billing in the admin: profiles, LINE's invoices, the PDF, typed exports, re-fetch per day."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.choices import InvoiceDifferenceReason
from billing.invoicing import billing_profile_save, line_invoice_record, statement_invoice_explain
from billing.models import BillingProfile, LineInvoice, Statement
from billing.services import statement_confirm, statement_finalise, statement_generate
from integrations import line as line_client
from portal.models import AuditEvent, Brand
from tests.billing.conftest import taipei

JAN = date(2026, 1, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def january(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object], sms_price: Decimal
) -> Statement:
    """162 PNP on 10 January (LINE's count 162): 32.4000 TWD → net 32, tax 1.60 → 2, gross 34."""
    billing_profile_save(
        brand=brand,
        actor="test",
        legal_name="愛克米商店股份有限公司",
        tax_id="04595257",
        address="台北市信義區信義路五段7號",
        contact_email="billing@acme.example",
    )
    deliver(brand, taipei("2026-01-10 12:00"), 162)
    line_says(brand, date(2026, 1, 10), "ready", 162)
    return statement_generate(brand=brand, month=JAN, actor=finance)


# --- billing profiles ----------------------------------------------------------------------------------


def test_an_account_manager_adds_their_brands_billing_profile_and_a_bad_tax_id_is_shown_on_its_field(
    manager: User, brand: Brand, other_brand: Brand
) -> None:
    client = client_for(manager)
    form = {
        "brand": brand.pk,
        "legal_name": "Acme Shop Co., Ltd.",
        "tax_id": "04595258",
        "address": "No. 7, Xinyi Road, Taipei",
        "contact_email": "billing@acme.example",
    }
    refused = client.post("/admin/billing/billingprofile/add/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "fails the Ministry of Finance check rule" in str(refused.context["adminform"].form.errors["tax_id"])
    assert not BillingProfile.objects.exists()

    # another brand is not among the manager's choices
    other = client.post("/admin/billing/billingprofile/add/", {**form, "brand": other_brand.pk, "tax_id": "04595257"})
    assert other.status_code == 200 and "brand" in other.context["adminform"].form.errors
    assert not BillingProfile.objects.exists()

    done = client.post("/admin/billing/billingprofile/add/", {**form, "tax_id": "04595257"})
    assert done.status_code == 302
    assert BillingProfile.objects.get(brand=brand).tax_id == "04595257"
    event = AuditEvent.objects.get(action="billing.billing_profile_created")
    assert (event.actor_id, event.brand_id) == (manager.pk, brand.pk)


def test_finance_reads_billing_profiles_but_does_not_edit_them(finance: User, january: Statement) -> None:
    client = client_for(finance)
    profile = BillingProfile.objects.get()
    assert client.get("/admin/billing/billingprofile/").status_code == 200
    assert client.post(f"/admin/billing/billingprofile/{profile.pk}/change/", {"legal_name": "x"}).status_code == 403


# --- LINE's invoice in the admin ---------------------------------------------------------------------------


def test_finance_records_lines_invoice_and_a_total_that_does_not_add_up_is_refused_on_gross(
    finance: User, brand: Brand, january: Statement
) -> None:
    client = client_for(finance)
    form = {
        "brand": brand.pk,
        "month": "2026-01",
        "invoice_number": "ab-12345678",
        "invoice_date": "2026-02-03",
        "net": "32",
        "tax": "2",
        "gross": "35",
        "message_count": "162",
    }
    refused = client.post("/admin/billing/lineinvoice/add/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "Net 32 + tax 2 = 34, not the gross 35" in str(refused.context["adminform"].form.errors["gross"])
    assert not LineInvoice.objects.exists()

    done = client.post("/admin/billing/lineinvoice/add/", {**form, "gross": "34"})
    assert done.status_code == 302, done.context["adminform"].form.errors
    invoice = LineInvoice.objects.get()
    assert (invoice.invoice_number, invoice.month, invoice.recorded_by) == ("AB12345678", JAN, finance)

    page = client.get(f"/admin/billing/statement/{january.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert 'id="three-way-table"' in body and "AB12345678" in body
    assert 'id="invoice-blocked"' not in body  # LINE's invoice agrees: nothing to explain


def test_a_manager_cannot_record_lines_invoice(manager: User) -> None:
    assert client_for(manager).get("/admin/billing/lineinvoice/add/").status_code == 403


# --- the PDF ---------------------------------------------------------------------------------------------


def test_the_statement_pdf_carries_seller_buyer_lines_tax_totals_reconciliation_and_a_draft_mark(
    finance: User, january: Statement, settings: Any
) -> None:
    settings.BILLING_SELLER_NAME = "Notify Taiwan Ltd."
    settings.BILLING_SELLER_TAX_ID = "10458575"
    line_invoice_record(
        brand=january.brand,
        month=JAN,
        invoice_number="AB12345678",
        invoice_date=date(2026, 2, 3),
        net=Decimal("33"),
        tax=Decimal("2"),
        gross=Decimal("35"),
        message_count=165,
        actor=finance,
    )

    response = client_for(finance).get(f"/admin/billing/statement/{january.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="acme-2026-01-v1.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Monthly statement for 2026-01" in text
    assert "Notify Taiwan Ltd." in text and "10458575" in text  # the seller, from settings
    assert "04595257" in text and "billing@acme.example" in text  # the buyer, from the profile
    assert "162" in text and "32.4000" in text  # the PNP line: 162 × 0.2000
    assert "Business tax 5 %, rounded half-up to whole TWD" in text
    assert "Gross (net + tax)" in text and "34" in text
    assert "AB12345678" in text and "+3" in text and "+1" in text  # LINE's invoice: 165 messages, net 33
    assert "DRAFT" in text
    event = AuditEvent.objects.get(action="billing.statement_exported")
    assert event.data == {"report": "pdf", "format": "en"}


def test_a_confirmed_statement_pdf_has_no_draft_mark_and_follows_the_readers_language(
    finance: User, finance2: User, january: Statement
) -> None:
    line_invoice_record(
        brand=january.brand,
        month=JAN,
        invoice_number="AB12345678",
        invoice_date=date(2026, 2, 3),
        net=Decimal("33"),
        tax=Decimal("2"),
        gross=Decimal("35"),
        actor=finance,
    )
    statement_finalise(statement=january, actor=finance)
    statement_invoice_explain(
        statement=january, reason=InvoiceDifferenceReason.LINE_ROUNDING, note="LINE rounds up", actor=finance
    )
    statement_confirm(statement=january, actor=finance2)

    english = pdf_text(
        client_for(finance).get(f"/admin/billing/statement/{january.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en").content
    )
    chinese = pdf_text(
        client_for(finance).get(f"/admin/billing/statement/{january.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="zh-hant").content
    )

    assert "DRAFT" not in english and "confirmed" in english
    assert "LINE rounds its invoice differently: LINE rounds up" in english
    assert "月結對帳單" in chinese and "營業稅" in chinese and "愛克米商店股份有限公司" in chinese
    assert "Monthly statement" not in chinese


def test_a_manager_cannot_download_the_pdf(manager: User, january: Statement) -> None:
    assert client_for(manager).get(f"/admin/billing/statement/{january.pk}/pdf/").status_code == 403


# --- typed exports ---------------------------------------------------------------------------------------


def test_the_statement_xlsx_has_numeric_money_cells_real_dates_and_a_totals_row(
    finance: User, january: Statement
) -> None:
    response = client_for(finance).get(f"/admin/billing/statement/{january.pk}/export/statement.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())  # type: ignore[union-attr]
    header = [c.value for c in rows[0]]
    col = {name: header.index(name) for name in header}
    pnp, sms, totals = rows[1], rows[2], rows[3]
    assert len(rows) == 4

    # the PNP line: 162 × 0.2000 = 32.4000, a number in a TWD format, not text
    assert pnp[col["quantity"]].value == 162
    assert pnp[col["amount"]].data_type == "n" and Decimal(str(pnp[col["amount"]].value)) == Decimal("32.4")
    assert "NT$" in pnp[col["amount"]].number_format and "NT$" in pnp[col["unit_price"]].number_format
    assert pnp[col["period_start"]].is_date and pnp[col["period_start"]].value == datetime(2026, 1, 1)
    assert pnp[col["statement_tax_twd"]].value == 2 and pnp[col["statement_gross_twd"]].value == 34
    assert pnp[col["buyer_tax_id"]].value == "04595257"
    # the SMS line: no segments; the totals row sums quantity and amount
    assert sms[col["kind"]].value == "sms"
    assert totals[0].value == "total"
    assert totals[col["quantity"]].value == 162
    assert Decimal(str(totals[col["amount"]].value)) == Decimal("32.4")
    assert totals[col["statement_gross_twd"]].value is None  # a statement's total is not summed per line


def test_the_month_export_has_one_row_per_line_of_every_brand_and_is_formula_safe(
    finance: User, january: Statement, other_brand: Brand, deliver: Callable[..., None]
) -> None:
    billing_profile_save(
        brand=other_brand,
        actor="test",
        legal_name='=HYPERLINK("http://evil.example","x")',
        tax_id="10458575",
        address="Taichung",
        contact_email="billing@globex.example",
    )
    deliver(other_brand, taipei("2026-01-12 12:00"), 10)
    statement_generate(brand=other_brand, month=JAN, actor=finance)
    client = client_for(finance)

    form_page = client.get("/admin/billing/statement/export-month/")
    assert form_page.status_code == 200 and 'id="export-month-form"' in form_page.content.decode()
    response = client.get("/admin/billing/statement/export-month/", {"month": "2026-01", "fmt": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["brand"], r["kind"], r["quantity"]) for r in rows] == [
        ("acme", "pnp", "162"),
        ("acme", "sms", "0"),
        ("globex", "pnp", "10"),
        ("globex", "sms", "0"),
    ]
    assert rows[2]["buyer_legal_name"].startswith("'=HYPERLINK")
    assert rows[0]["buyer_tax_id"] == "04595257"

    book = client.get("/admin/billing/statement/export-month/", {"month": "2026-01", "fmt": "xlsx"})
    values = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(values) == 1 + 4 + 1
    header = list(values[0])
    assert values[-1][header.index("quantity")] == 172
    assert str(values[3][header.index("buyer_legal_name")]).startswith("'=")
    assert AuditEvent.objects.filter(action="billing.statement_exported", data__report="month").count() == 4
    assert client.get("/admin/billing/statement/export-month/", {"month": "Jan"}).status_code == 200


def test_a_manager_cannot_export_a_month(manager: User) -> None:
    assert client_for(manager).get("/admin/billing/statement/export-month/?month=2026-01&fmt=csv").status_code == 403


# --- re-fetch, per day ------------------------------------------------------------------------------------


def test_the_statement_page_shows_lines_answer_for_each_day_a_refetch_asked(
    finance: User, brand: Brand, deliver: Callable[..., None], line_says: Callable[..., object], monkeypatch: Any
) -> None:
    # given: January with LINE settled on every day but the 6th (not aggregated) and the 7th (never asked)
    for day in range(1, 32):
        if day not in (6, 7):
            line_says(brand, date(2026, 1, day), "ready", 0)
    line_says(brand, date(2026, 1, 6), "unready")
    answers = {
        date(2026, 1, 6): line_client.DeliveryCount("ready", 12),
        date(2026, 1, 7): line_client.DeliveryCount("unready", None),
    }
    monkeypatch.setattr(line_client, "pnp_delivery_count", lambda *, access_token, jst_day: answers[jst_day])
    statement = statement_generate(brand=brand, month=JAN, actor=finance)

    response = client_for(finance).post(
        f"/admin/billing/statement/{statement.pk}/move/refetch/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.content.decode()
    assert 'id="refetch-table"' in body
    assert response.context["refetch"].data["days_asked"] == 2
    days = {d["jst_date"]: d for d in response.context["refetch_days"]}
    assert set(days) == {"2026-01-06", "2026-01-07"}
    assert (days["2026-01-06"]["before"], days["2026-01-06"]["status"], days["2026-01-06"]["success"]) == (
        "not aggregated yet",
        "ready",
        12,
    )
    assert (days["2026-01-07"]["before"], days["2026-01-07"]["status"]) == ("—", "not aggregated yet")
    assert 'id="refetch-2026-01-06-flexible"' in body


def test_the_statement_page_shows_net_tax_gross_and_the_rounding_rule_in_the_readers_language(
    finance: User, january: Statement
) -> None:
    # 162 × 0.2 = 32.4000 → net 32; 32 × 5 % = 1.60 → 2; gross 34
    page = client_for(finance).get(f"/admin/billing/statement/{january.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    body = page.content.decode()
    assert 'id="statement-tax">2<' in body and 'id="statement-gross">34<' in body
    assert 'id="lines-tax">2<' in body and 'id="lines-gross">34<' in body
    assert "營業稅 5%（四捨五入至新臺幣整數）" in body and "5%%" not in body
    assert "買受人：愛克米商店股份有限公司，統一編號 04595257。" in body


def test_a_manager_cannot_explain_lines_invoice(manager: User, january: Statement) -> None:
    response = client_for(manager).post(
        f"/admin/billing/statement/{january.pk}/explain-invoice/", {"invoice_reason": "other", "invoice_note": "x"}
    )
    assert response.status_code == 403
    january.refresh_from_db()
    assert january.invoice_reason == ""

"""The billing admin: who sees the dashboard and the bills, exports, and the month close through HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from billing.choices import StatementStatus
from billing.models import Statement
from billing.services import statement_generate
from portal.models import Brand
from tests.billing.conftest import ready_to_close, taipei

JAN = date(2026, 1, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def statements(brand: Brand, other_brand: Brand, finance: User, deliver: Callable[..., None]) -> dict[str, Statement]:
    deliver(brand, taipei("2026-01-05 10:00"), 4)
    deliver(other_brand, taipei("2026-01-06 10:00"), 9)
    return {
        "own": statement_generate(brand=brand, month=JAN, actor=finance),
        "other": statement_generate(brand=other_brand, month=JAN, actor=finance),
    }


DASHBOARD = "/admin/billing/dashboard/?first=2026-01-01&last=2026-01-31"


def test_finance_sees_the_dashboard_with_charts_and_figures(finance: User, statements: dict[str, Statement]) -> None:
    response = client_for(finance).get(DASHBOARD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and 'id="card-accepted"' in body
    assert response.context["figures"].totals[("pnp", "delivered")] == 13


def test_the_admin_index_links_to_the_dashboard(reviewer: User) -> None:
    response = client_for(reviewer).get("/admin/")
    assert "/admin/billing/dashboard/" in response.content.decode()


def test_a_manager_sees_only_their_brands_on_the_dashboard_and_statements(
    manager: User, brand: Brand, other_brand: Brand, statements: dict[str, Statement]
) -> None:
    client = client_for(manager)
    response = client.get(DASHBOARD)
    assert response.context["figures"].totals[("pnp", "delivered")] == 4
    assert client.get(DASHBOARD + f"&brand={other_brand.slug}").context["form"].errors["brand"]
    assert client.get(f"/admin/billing/statement/{statements['own'].pk}/change/").status_code == 200
    assert client.get(f"/admin/billing/statement/{statements['other'].pk}/change/").status_code == 404
    assert client.get(f"/admin/billing/statement/{statements['own'].pk}/export/statement.csv").status_code == 403


def test_a_reviewer_sees_the_dashboard_but_no_bills(reviewer: User, statements: dict[str, Statement]) -> None:
    client = client_for(reviewer)
    assert client.get(DASHBOARD).status_code == 200
    assert client.get("/admin/billing/statement/").status_code == 403
    assert client.get(f"/admin/billing/statement/{statements['own'].pk}/export/statement.csv").status_code == 403


def test_finance_exports_the_statement_as_csv_and_the_reconciliation_as_xlsx(
    finance: User, statements: dict[str, Statement]
) -> None:
    client = client_for(finance)
    pk = statements["own"].pk
    response = client.get(f"/admin/billing/statement/{pk}/export/statement.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["kind"], r["quantity"], r["amount"]) for r in rows] == [("pnp", "4", "0.8000"), ("sms", "0", "0.0000")]
    response = client.get(f"/admin/billing/statement/{pk}/export/reconciliation.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert values[0][:4] == ("brand", "month", "version", "jst_date")
    assert len(values) == 1 + 31 + 1  # header, the JST days, the totals row


def test_finance_closes_a_month_with_a_second_finance_user_over_http(
    finance: User, finance2: User, statements: dict[str, Statement]
) -> None:
    statement = statements["own"]
    ready_to_close(statement, finance)
    first = client_for(finance)
    url = f"/admin/billing/statement/{statement.pk}/"
    first.post(url + "move/finalise/")
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.DRAFT  # the 5th is flagged
    day = statement.reconciliation.get(jst_date=date(2026, 1, 5))
    first.post(url + f"explain/{day.pk}/", {"reason": "line_missing", "note": "LINE count not published yet"})
    first.post(url + "move/finalise/")
    first.post(url + "move/confirm/")
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.FINALISED  # not by the same user
    client_for(finance2).post(url + "move/confirm/")
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.CONFIRMED


def test_finance_computes_the_drafts_of_a_month_from_the_admin(
    finance: User, brand: Brand, deliver: Callable[..., None]
) -> None:
    deliver(brand, taipei("2026-02-05 10:00"), 2)
    response = client_for(finance).post("/admin/billing/statement/generate/", {"month": "2026-02", "brand": brand.pk})
    statement = Statement.objects.get(brand=brand, month=date(2026, 2, 1))
    assert response.status_code == 302 and statement.pnp_billed == 2
    bad = client_for(finance).post("/admin/billing/statement/generate/", {"month": "Feb"})
    assert "YYYY-MM" in bad.content.decode()

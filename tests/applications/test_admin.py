"""The application admin: who sees what, moves through buttons, filters, export, calendar overrides."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from import_export.formats.base_formats import CSV

from applications.choices import CalendarOverrideKind, DocumentKind, Stage
from applications.models import Application, CalendarOverride
from applications.resources import ApplicationResource
from applications.services import application_move
from applications.workdays import current_calendar
from portal.models import AuditEvent, Brand
from tests.applications.conftest import at, attach, bring_to
from tests.conftest import PASSWORD

LIST = "/admin/applications/application/"


def login(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def change_url(application: Application) -> str:
    return f"{LIST}{application.pk}/change/"


def overdue_today(make_application: Callable[..., Application]) -> Application:
    calendar = current_calendar()
    # Counted from the last working day on or before today: on a weekend or a holiday, 30 working
    # days back from today itself would be only 29 working days ago.
    today = calendar.add_working_days(calendar.add_working_days(timezone.localdate(), 1), -1)
    application = make_application(on=calendar.add_working_days(today, -40))
    application_move(
        application=application,
        to_stage=Stage.SERVICE_PLAN_REVIEW,
        actor="test",
        at=at(calendar.add_working_days(today, -30)),
    )
    return application


def test_finance_cannot_see_applications_at_all(make_application: Callable[..., Application], finance: User) -> None:
    application = make_application(documents=False)
    client = login(finance)
    assert client.get(LIST).status_code == 403
    assert client.get(change_url(application)).status_code == 403
    assert client.get(f"{LIST}export/").status_code == 403
    assert b"/admin/applications/" not in client.get("/admin/").content


def test_another_managers_application_answers_404(
    make_application: Callable[..., Application], other_manager: User
) -> None:
    application = make_application()
    document = application.documents.first()
    assert document is not None
    client = login(other_manager)
    assert client.get(change_url(application)).status_code == 404
    assert client.post(f"{LIST}{application.pk}/move/", {"to_stage": Stage.SERVICE_PLAN_REVIEW}).status_code == 404
    assert client.get(f"{LIST}{application.pk}/documents/{document.pk}/").status_code == 404
    assert f"Acme Shop #{application.pk}" not in client.get(LIST).content.decode()
    application.refresh_from_db()
    assert application.stage == Stage.PREPARING_DOCUMENTS


def test_a_reviewer_reads_every_application_but_cannot_move_one(
    make_application: Callable[..., Application], reviewer: User, other_manager: User, other_brand: Brand
) -> None:
    mine = make_application()
    theirs = make_application(brand=other_brand, owner=other_manager, documents=False)
    client = login(reviewer)
    listing = client.get(LIST).content.decode()
    assert f"Acme Shop #{mine.pk}" in listing and f"Globex Telecom #{theirs.pk}" in listing
    page = client.get(change_url(mine))
    assert page.status_code == 200
    assert b"Move to" not in page.content
    assert client.post(f"{LIST}{mine.pk}/move/", {"to_stage": Stage.SERVICE_PLAN_REVIEW}).status_code == 403


def test_a_manager_moves_an_application_with_the_button(
    make_application: Callable[..., Application], manager: User
) -> None:
    # given
    application = make_application(on=timezone.localdate() - timedelta(days=1))
    client = login(manager)
    # when
    response = client.post(
        f"{LIST}{application.pk}/move/",
        {"to_stage": Stage.SERVICE_PLAN_REVIEW, "note": "Sent to LINE by e-mail"},
        follow=True,
    )
    # then
    assert "Moved to “Service Plan under LINE review”." in response.content.decode()
    application.refresh_from_db()
    assert application.stage == Stage.SERVICE_PLAN_REVIEW
    assert application.transitions.last().note == "Sent to LINE by e-mail"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="application.moved", actor=manager).exists()


def test_a_refused_move_shows_the_reason_as_an_error(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = make_application(documents=False)
    client = login(manager)
    response = client.post(f"{LIST}{application.pk}/move/", {"to_stage": Stage.SERVICE_PLAN_REVIEW}, follow=True)
    content = response.content.decode()
    assert 'class="error"' in content
    assert "Not moved: Upload the signed NDA valid on" in content
    application.refresh_from_db()
    assert application.stage == Stage.PREPARING_DOCUMENTS


def test_the_change_page_shows_the_timeline_and_why_a_move_is_blocked(
    make_application: Callable[..., Application], manager: User, ready_brand: Brand
) -> None:
    Brand.objects.filter(pk=ready_brand.pk).update(is_certified_provider=False)
    application = bring_to(make_application(), Stage.SERVICE_PLAN_REVIEW)
    content = login(manager).get(change_url(application)).content.decode()
    assert "Timeline: planned and actual" in content
    assert "2026-03-03" in content  # reached Service Plan review
    assert "not a Certified Provider yet" in content
    assert "Audit trail" in content and "application.moved" in content


def test_the_list_flags_overdue_steps_and_filters_on_them(
    make_application: Callable[..., Application], manager: User
) -> None:
    late = overdue_today(make_application)
    on_time = make_application(on=timezone.localdate())
    client = login(manager)
    listing = client.get(LIST).content.decode()
    assert "16 working days overdue" in listing
    filtered = client.get(LIST, {"overdue": "yes"}).content.decode()
    assert f"Acme Shop #{late.pk}" in filtered and f"Acme Shop #{on_time.pk}" not in filtered
    not_late = client.get(LIST, {"overdue": "no"}).content.decode()
    assert f"Acme Shop #{on_time.pk}" in not_late and f"Acme Shop #{late.pk}" not in not_late


def test_a_manager_opens_an_application_through_the_admin_form(ready_brand: Brand, manager: User) -> None:
    client = login(manager)
    response = client.post(
        f"{LIST}add/",
        {
            "brand": ready_brand.pk,
            "path": "direct",
            "use_cases": ["delivery_notice", "payment_due"],
            "owner": manager.pk,
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get()
    assert (application.stage, application.use_cases) == (Stage.PREPARING_DOCUMENTS, ["delivery_notice", "payment_due"])
    assert AuditEvent.objects.filter(action="application.created", actor=manager).exists()


def test_the_admin_form_refuses_an_owner_who_does_not_manage_the_brand(
    ready_brand: Brand, manager: User, other_manager: User
) -> None:
    response = login(manager).post(
        f"{LIST}add/",
        {
            "brand": ready_brand.pk,
            "path": "direct",
            "use_cases": ["delivery_notice"],
            "owner": other_manager.pk,
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Choose one of Acme Shop&#x27;s account managers." in response.content.decode()
    assert not Application.objects.exists()


def test_a_document_downloads_for_its_brands_manager(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = make_application(documents=False)
    document = attach(application, DocumentKind.SERVICE_PLAN)
    response = login(manager).get(f"{LIST}{application.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"  # type: ignore[attr-defined]
    assert "attachment" in response["Content-Disposition"]


def test_the_export_has_one_row_per_application_with_its_stage_dates(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = bring_to(make_application(), Stage.TEST_PERMISSION_REQUESTED)
    dataset = ApplicationResource().export(queryset=Application.objects.all())
    rows = list(csv.DictReader(io.StringIO(dataset.csv)))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == str(application.pk) and row["brand"] == "acme" and row["stage"] == "test_permission_requested"
    assert row["reached_preparing_documents"] == "2026-03-02"
    assert row["reached_service_plan_review"] == "2026-03-03"
    assert row["reached_test_permission_requested"] == "2026-03-04"
    assert row["reached_live"] == ""
    assert row["use_cases"] == "delivery_notice"


def test_the_export_neutralises_spreadsheet_formulas(ready_brand: Brand, manager: User) -> None:
    from applications.services import application_create

    application_create(
        brand=ready_brand,
        owner=manager,
        actor="test",
        has_new_use_case=True,
        new_use_case_description='=HYPERLINK("http://evil")',
    )
    dataset = ApplicationResource().export(queryset=Application.objects.all())
    exported = CSV().export_data(dataset)
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells  # shown as text by every spreadsheet
    assert not [cell for cell in cells if cell.startswith(("=", "@"))]


def test_the_export_page_is_open_to_a_manager(make_application: Callable[..., Application], manager: User) -> None:
    make_application(documents=False)
    assert login(manager).get(f"{LIST}export/").status_code == 200


def test_a_manager_records_a_typhoon_day_and_it_is_audited(manager: User) -> None:
    response = login(manager).post(
        "/admin/applications/calendaroverride/add/",
        {"date": "2026-07-29", "kind": CalendarOverrideKind.HOLIDAY, "note": "Typhoon day, Taipei"},
    )
    assert response.status_code == 302
    assert CalendarOverride.objects.get().date == date(2026, 7, 29)
    assert AuditEvent.objects.filter(action="calendar_override.created", actor=manager).exists()


@pytest.mark.parametrize("role_user", ["reviewer", "finance"])
def test_only_managers_record_working_day_overrides(role_user: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(role_user)
    assert login(user).get("/admin/applications/calendaroverride/add/").status_code == 403


def test_the_list_flags_an_nda_about_to_expire(make_application: Callable[..., Application], manager: User) -> None:
    today = timezone.localdate()
    application = make_application(documents=False, on=today - timedelta(days=10))
    attach(application, DocumentKind.NDA, signed_on=today - timedelta(days=300), expires_on=today + timedelta(days=12))
    listing = login(manager).get(LIST).content.decode()
    assert f"NDA expires {(today + timedelta(days=12)).isoformat()}" in listing

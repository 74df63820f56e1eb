"""The tracker's admin pages: dated moves, confirmations, This week, the brand summary, scoping."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from applications.choices import DocumentKind, Stage, UseCase
from applications.models import Application, PartnerUseCase
from applications.services import application_move
from applications.workdays import current_calendar
from portal.choices import AccountType
from portal.models import AuditEvent, Brand
from tests.applications.conftest import attach
from tests.conftest import PASSWORD

LIST = "/admin/applications/application/"
WEEK = f"{LIST}week/"


def login(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def working_days_ago(days: int) -> datetime:
    """10:00 Taiwan time that many working days ago; for today, not later than now (before 10:00 it is still ahead)."""
    day = current_calendar().add_working_days(timezone.localdate(), -days)
    return min(timezone.make_aware(datetime.combine(day, time(10, 0))), timezone.now())


@pytest.fixture
def recent(make_application: Callable[..., Application]) -> Application:
    """An application started 20 working days ago, still preparing documents."""
    return make_application(on=working_days_ago(20).date())


def test_a_move_dated_three_working_days_ago_counts_from_then(recent: Application, manager: User) -> None:
    effective = working_days_ago(3)
    response = login(manager).post(
        f"{LIST}{recent.pk}/move/",
        {
            "to_stage": Stage.SERVICE_PLAN_REVIEW,
            "effective_at": effective.strftime("%Y-%m-%dT%H:%M"),
            "note": "LINE's e-mail confirming receipt",
        },
    )
    assert response.status_code == 302
    recent.refresh_from_db()
    assert recent.stage == Stage.SERVICE_PLAN_REVIEW
    assert recent.stage_entered_at == effective
    page = login(manager).get(f"{LIST}{recent.pk}/change/").content.decode()
    assert "How the forecast is worked out" in page
    assert "in it since " + effective.date().isoformat() in page


def test_a_back_dated_move_without_evidence_is_refused(recent: Application, manager: User) -> None:
    response = login(manager).post(
        f"{LIST}{recent.pk}/move/",
        {"to_stage": Stage.SERVICE_PLAN_REVIEW, "effective_at": working_days_ago(3).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "Not moved: Evidence: a back-dated move needs" in response.content.decode()
    recent.refresh_from_db()
    assert recent.stage == Stage.PREPARING_DOCUMENTS


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2099-01-05T10:00", "Effective date: a move cannot be dated in the future"),
        ("2026-02-30T10:00", "Effective date: enter when the move happened as YYYY-MM-DD HH:MM."),
    ],
)
def test_a_bad_effective_date_is_refused_naming_the_field(
    recent: Application, manager: User, value: str, message: str
) -> None:
    response = login(manager).post(
        f"{LIST}{recent.pk}/move/",
        {"to_stage": Stage.SERVICE_PLAN_REVIEW, "effective_at": value, "note": "x"},
        follow=True,
    )
    assert message in response.content.decode()
    recent.refresh_from_db()
    assert recent.stage == Stage.PREPARING_DOCUMENTS


@pytest.mark.parametrize(
    ("stage", "says"),
    [
        (Stage.WITHDRAWN, "This is final"),
        (Stage.CHANGES_REQUESTED_BY_LINE, "goes back to the brand to answer LINE"),
    ],
)
def test_final_and_backward_moves_ask_for_confirmation_first(
    recent: Application, manager: User, stage: Stage, says: str
) -> None:
    application_move(application=recent, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(2))
    client = login(manager)
    response = client.post(f"{LIST}{recent.pk}/move/", {"to_stage": stage})
    assert response.status_code == 200
    page = response.content.decode()
    assert says in page and 'name="confirmed" value="1"' in page
    recent.refresh_from_db()
    assert recent.stage == Stage.SERVICE_PLAN_REVIEW

    confirmed = client.post(f"{LIST}{recent.pk}/move/", {"to_stage": stage, "confirmed": "1"})
    assert confirmed.status_code == 302
    recent.refresh_from_db()
    assert recent.stage == stage


def test_a_forward_move_needs_no_confirmation(recent: Application, manager: User) -> None:
    response = login(manager).post(f"{LIST}{recent.pk}/move/", {"to_stage": Stage.SERVICE_PLAN_REVIEW})
    assert response.status_code == 302
    recent.refresh_from_db()
    assert recent.stage == Stage.SERVICE_PLAN_REVIEW


def test_a_correction_is_confirmed_then_recorded(recent: Application, manager: User) -> None:
    application_move(application=recent, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(2))
    client = login(manager)
    asked = client.post(f"{LIST}{recent.pk}/correct/", {"note": "sent by mistake"})
    assert "is marked as corrected" in asked.content.decode()
    done = client.post(f"{LIST}{recent.pk}/correct/", {"note": "sent by mistake", "confirmed": "1"})
    assert done.status_code == 302
    recent.refresh_from_db()
    assert recent.stage == Stage.PREPARING_DOCUMENTS
    assert "corrected" in client.get(f"{LIST}{recent.pk}/change/").content.decode()


def test_the_list_says_blocked_and_flags_a_missed_promise(
    make_application: Callable[..., Application], manager: User, ready_brand: Brand
) -> None:
    promised = make_application(on=working_days_ago(20).date(), expected_go_live=timezone.localdate())
    ready_brand.account_type = AccountType.VERIFIED_BLUE
    ready_brand.save(update_fields=["account_type"])
    blocked = make_application(on=working_days_ago(20).date())
    ready_brand.account_type = AccountType.ENTERPRISE_GREEN
    ready_brand.save(update_fields=["account_type"])
    client = login(manager)
    page = client.get(LIST).content.decode()
    assert "later than promised " + timezone.localdate().isoformat() in page
    filtered = client.get(f"{LIST}?promise=missed").content.decode()
    assert f"{LIST}{promised.pk}/change/" in filtered and f"{LIST}{blocked.pk}/change/" not in filtered
    ready_brand.account_type = AccountType.VERIFIED_BLUE
    ready_brand.save(update_fields=["account_type"])
    change = client.get(f"{LIST}{blocked.pk}/change/").content.decode()
    assert "blocked: blue-shield special approval" in change


def test_the_week_page_lists_what_is_due_expiring_and_the_next_cut_off(
    make_application: Callable[..., Application],
    manager: User,
    other_manager: User,
    other_brand: Brand,
    superuser: User,
) -> None:
    today = timezone.localdate()
    overdue = make_application(on=working_days_ago(40).date())
    application_move(application=overdue, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(30))
    fresh = make_application(on=working_days_ago(2).date())
    application_move(application=fresh, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(0))
    expiring = make_application(documents=False, on=working_days_ago(5).date())
    attach(expiring, DocumentKind.NDA, signed_on=today - timedelta(days=300), expires_on=today + timedelta(days=45))
    lasting = make_application(documents=False, on=working_days_ago(5).date())
    attach(lasting, DocumentKind.NDA, signed_on=today - timedelta(days=300), expires_on=today + timedelta(days=90))
    new_case = make_application(has_new_use_case=True, new_use_case_description="Vaccination reminder")
    other_brand.is_certified_provider = True
    other_brand.save(update_fields=["is_certified_provider"])
    theirs = make_application(brand=other_brand, owner=other_manager, on=working_days_ago(40).date())
    application_move(application=theirs, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(30))

    page = login(manager).get(WEEK).content.decode()
    due_section, rest = page.split('id="pnp-week-nda"')
    nda_section, cutoff_section = rest.split('id="pnp-week-cutoff"')
    assert f"{LIST}{overdue.pk}/change/" in due_section and "working days overdue" in due_section
    assert f"{LIST}{fresh.pk}/change/" not in due_section
    assert f"{LIST}{expiring.pk}/change/" in nda_section and f"{LIST}{lasting.pk}/change/" not in nda_section
    cutoff = current_calendar().quarterly_cutoff(today)
    assert cutoff.isoformat() in cutoff_section and f"{LIST}{new_case.pk}/change/" in cutoff_section
    assert "Globex" not in page and f"{LIST}{theirs.pk}/" not in page

    everything = login(superuser).get(WEEK).content.decode()
    assert f"{LIST}{theirs.pk}/change/" in everything and "manager2" in everything


def test_the_brand_summary_reads_in_english_and_chinese(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = make_application(documents=False, on=working_days_ago(5).date(), use_cases=[UseCase.PAYMENT_DUE])
    attach(application, DocumentKind.NDA)
    application_move(application=application, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=working_days_ago(3))
    client = login(manager)
    english = client.get(f"{LIST}{application.pk}/summary/?language=en").content.decode()
    assert f"PNP application status: Acme Shop (#{application.pk})" in english
    assert "Stage: Service Plan under LINE review" in english
    assert "Next: LINE: review the Service Plan." in english
    assert "Forecast go-live: " in english
    assert "- Service Plan" in english and "- IO contract" in english and "- Signed NDA" not in english
    chinese = client.get(f"{LIST}{application.pk}/summary/?language=zh-hant").content.decode()
    assert "PNP 申請進度" in chinese and "待補文件" in chinese


def test_the_brand_summary_downloads_as_a_pdf_in_either_language(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = make_application(on=working_days_ago(5).date())
    client = login(manager)
    for language in ("en", "zh-hant"):
        response = client.get(f"{LIST}{application.pk}/summary/?language={language}&format=pdf")
        assert response["Content-Type"] == "application/pdf"
        assert f"-{language}.pdf" in response["Content-Disposition"]
        reader = PdfReader(io.BytesIO(response.content))
        assert len(reader.pages) == 1
        fonts = reader.pages[0]["/Resources"]["/Font"]
        assert any("MSung-Light" in str(font.get_object()["/BaseFont"]) for font in fonts.values())


def test_no_new_page_shows_another_brands_application(
    make_application: Callable[..., Application], other_manager: User
) -> None:
    application = make_application(on=working_days_ago(5).date())
    client = login(other_manager)
    assert client.get(f"{LIST}{application.pk}/summary/").status_code == 404
    assert client.get(f"{LIST}{application.pk}/summary/?format=pdf").status_code == 404
    assert client.post(f"{LIST}{application.pk}/move/", {"to_stage": Stage.WITHDRAWN}).status_code == 404
    assert client.post(f"{LIST}{application.pk}/correct/", {"note": "x", "confirmed": "1"}).status_code == 404
    assert "Acme" not in client.get(WEEK).content.decode()
    application.refresh_from_db()
    assert application.stage == Stage.PREPARING_DOCUMENTS


def test_finance_sees_neither_the_week_page_nor_a_summary(
    make_application: Callable[..., Application], finance: User
) -> None:
    application = make_application(on=working_days_ago(5).date())
    client = login(finance)
    assert client.get(WEEK).status_code == 403
    assert client.get(f"{LIST}{application.pk}/summary/").status_code in (403, 404)


def test_a_reviewer_reads_the_summary_but_cannot_move(
    make_application: Callable[..., Application], reviewer: User
) -> None:
    application = make_application(on=working_days_ago(5).date())
    client = login(reviewer)
    assert client.get(f"{LIST}{application.pk}/summary/").status_code == 200
    assert client.post(f"{LIST}{application.pk}/move/", {"to_stage": Stage.WITHDRAWN}).status_code == 403


def test_a_manager_adds_a_use_case_to_a_partners_catalogue_in_the_admin(manager: User) -> None:
    client = login(manager)
    response = client.post(
        "/admin/applications/technologypartner/add/",
        {
            "name": "Omnichat",
            "note": "",
            "use_cases-TOTAL_FORMS": "1",
            "use_cases-INITIAL_FORMS": "0",
            "use_cases-0-use_case": UseCase.RENTAL_DUE,
            "use_cases-0-approved_on": "2026-01-15",
            "use_cases-0-evidence_note": "LINE e-mail 15 Jan",
        },
    )
    assert response.status_code == 302
    entry = PartnerUseCase.objects.get(partner__name="Omnichat")
    assert entry.recorded_by == manager and entry.use_case == UseCase.RENTAL_DUE
    assert AuditEvent.objects.filter(action="partner.use_case_added").count() == 1

"""Demo applications for ``make run``: several stages, one overdue, one partner path, one blocked.

Shows the tracker's newer parts too: moves recorded after the fact with LINE's e-mail as
evidence, a corrected move, a forecast later than the go-live date promised to the brand, a
forecast blocked by the blue-shield gate, and a technology partner whose catalogued use cases
skip LINE's review. Safe to run again: a brand that already has an application is left alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from applications.choices import DocumentKind, Stage, UseCase
from applications.models import Application, TechnologyPartner
from applications.services import (
    application_create,
    application_document_add,
    application_move,
    application_move_correct,
    partner_save,
    partner_use_case_add,
)
from applications.workdays import current_calendar
from portal.models import Brand


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _pdf(name: str) -> ContentFile:
    return ContentFile(b"%PDF-1.4\n% demo document\n", name=name)


def _mail(name: str) -> ContentFile:
    return ContentFile(b"From: LINE PNP team\nSubject: Service Plan received\n\n(demo)\n", name=name)


DEMO_PARTNER = "示範技術夥伴 Demo Partner"


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Create the demo applications that are missing."""
    users = get_user_model().objects
    calendar = current_calendar()
    today = timezone.localdate()

    def ago(days: int) -> date:
        return calendar.add_working_days(today, -days)

    brands = {
        brand.slug: brand for brand in Brand.objects.filter(slug__in=["demo-shop", "acme-telecom", "sunrise-clinic"])
    }
    if len(brands) < 3:
        stdout.write("  applications: demo brands missing, skipped\n")
        return
    manager = users.get(username="manager")
    manager2 = users.get(username="manager2")

    shop = brands["demo-shop"]
    if not Application.objects.filter(brand=shop).exists():
        # An earlier application that went all the way to live.
        live = application_create(
            brand=shop,
            owner=manager,
            actor=manager,
            use_cases=[UseCase.DELIVERY_NOTICE, UseCase.PURCHASE_COMPLETED],
            at=_at(ago(80)),
        )
        application_document_add(
            application=live,
            kind=DocumentKind.NDA,
            file=_pdf("nda-signed.pdf"),
            uploaded_by=manager,
            signed_on=ago(85),
            expires_on=today + timedelta(days=20),
            note="Signed scan from the brand's legal team",
        )
        for kind in (DocumentKind.SERVICE_PLAN, DocumentKind.PERMISSION_FORM):
            application_document_add(application=live, kind=kind, file=_pdf(f"{kind}.pdf"), uploaded_by=manager)
        application_move(application=live, to_stage=Stage.SERVICE_PLAN_REVIEW, actor=manager, at=_at(ago(75)))
        application_move(application=live, to_stage=Stage.TEST_PERMISSION_REQUESTED, actor=manager, at=_at(ago(64)))
        application_move(application=live, to_stage=Stage.BRAND_TESTING, actor=manager, at=_at(ago(58)))
        application_document_add(
            application=live, kind=DocumentKind.TEST_SCREENSHOT, file=_pdf("test-results.pdf"), uploaded_by=manager
        )
        application_move(application=live, to_stage=Stage.TEST_RESULTS_REVIEW, actor=manager, at=_at(ago(45)))
        application_document_add(
            application=live, kind=DocumentKind.IO_CONTRACT, file=_pdf("io-contract.pdf"), uploaded_by=manager
        )
        application_move(
            application=live, to_stage=Stage.PRODUCTION_PERMISSION_REQUESTED, actor=manager, at=_at(ago(39))
        )
        application_move(
            application=live, to_stage=Stage.LIVE, actor=manager, note="Go-live announced to LINE", at=_at(ago(33))
        )
        # A second application for more use cases, stuck at LINE for 30 working days: overdue.
        overdue = application_create(
            brand=shop,
            owner=manager,
            actor=manager,
            use_cases=[UseCase.POINTS_EARNED, UseCase.PAYMENT_DUE],
            # Promised to the brand before LINE ran late: the forecast is now later (warning badge).
            expected_go_live=today + timedelta(days=14),
            at=_at(ago(32)),
        )
        application_document_add(
            application=overdue,
            kind=DocumentKind.NDA,
            file=_pdf("nda-signed.pdf"),
            uploaded_by=manager,
            signed_on=ago(85),
            expires_on=today + timedelta(days=20),
        )
        application_document_add(
            application=overdue, kind=DocumentKind.SERVICE_PLAN, file=_pdf("service-plan-v2.pdf"), uploaded_by=manager
        )
        # Recorded today, effective 30 working days ago: LINE's receipt e-mail is the evidence.
        application_move(
            application=overdue,
            to_stage=Stage.SERVICE_PLAN_REVIEW,
            actor=manager,
            note="Service Plan sent to LINE (LINE's receipt e-mail)",
            at=_at(ago(30)),
            evidence_file=_mail("line-receipt.eml"),
        )
        # A move recorded by mistake and corrected: both stay in the timeline.
        application_move(application=overdue, to_stage=Stage.TEST_PERMISSION_REQUESTED, actor=manager, at=_at(ago(2)))
        application_move_correct(
            application=overdue, actor=manager, note="LINE's e-mail was about the other application"
        )
        stdout.write("  applications: demo-shop (live, overdue in Service Plan review, promised date missed)\n")

    telecom = brands["acme-telecom"]
    if not Application.objects.filter(brand=telecom).exists():
        catalogue = TechnologyPartner.objects.filter(name=DEMO_PARTNER).first()
        if catalogue is None:
            catalogue = partner_save(partner=TechnologyPartner(name=DEMO_PARTNER), actor=manager2)
            for use_case in (UseCase.BILL_FEE_CONFIRMATION, UseCase.INFRASTRUCTURE_OUTAGE, UseCase.PAYMENT_DUE):
                partner_use_case_add(
                    partner=catalogue,
                    use_case=use_case,
                    approved_on=ago(120),
                    evidence_note="LINE partner review e-mail (demo)",
                    actor=manager2,
                )
        # Both use cases are in the partner's catalogue: LINE's use-case review is skipped.
        partner = application_create(
            brand=telecom,
            owner=manager2,
            actor=manager2,
            path="partner",
            partner=catalogue,
            use_cases=[UseCase.BILL_FEE_CONFIRMATION, UseCase.INFRASTRUCTURE_OUTAGE],
            at=_at(ago(20)),
        )
        application_move(
            application=partner, to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, actor=manager2, at=_at(ago(15))
        )
        application_move(application=partner, to_stage=Stage.PARTNER_TESTING, actor=manager2, at=_at(ago(4)))
        stdout.write("  applications: acme-telecom (partner path, catalogued use cases, testing)\n")

    clinic = brands["sunrise-clinic"]
    if not Application.objects.filter(brand=clinic).exists():
        blocked = application_create(
            brand=clinic,
            owner=manager,
            actor=manager,
            use_cases=[UseCase.RESERVATION_MADE_OR_CANCELLED, UseCase.RESERVATION_REMINDER],
            has_new_use_case=True,
            new_use_case_description="Vaccination due reminder for registered patients",
            expected_go_live=today + timedelta(days=120),
            at=_at(ago(6)),
        )
        application_document_add(
            application=blocked,
            kind=DocumentKind.NDA,
            file=_pdf("nda-signed.pdf"),
            uploaded_by=manager,
            signed_on=ago(6),
            expires_on=today + timedelta(days=365),
        )
        stdout.write("  applications: sunrise-clinic (forecast blocked: blue shield without special approval)\n")

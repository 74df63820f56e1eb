"""Eligibility gates: what must be true before an application may enter a stage.

Each gate returns None when met, or the reason a person can act on. They run on every move
into the stage they guard (also when it resumes from a hold or comes back for re-review),
on the date of the move.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils.translation import gettext as _

from applications.choices import DocumentKind, Stage
from applications.models import Application
from portal.choices import AccountType, LegalEntityType

Gate = Callable[[Application, date], str | None]


def gate_account_type(application: Application, on: date) -> str | None:
    """Only an enterprise (green-shield) account may apply; blue shield needs LINE's special approval."""
    account_type = application.brand.account_type
    if account_type == AccountType.ENTERPRISE_GREEN:
        return None
    if account_type == AccountType.VERIFIED_BLUE:
        if application.has_blue_shield_approval:
            return None
        return _(
            "%(brand)s is a verified (blue-shield) account: record LINE sales' special approval "
            "(reference and date) on the application first."
        ) % {"brand": application.brand}
    return _("%(brand)s must be an OA 2.0 enterprise (green-shield) account to apply for PNP.") % {
        "brand": application.brand
    }


def gate_legal_entity(application: Application, on: date) -> str | None:
    """Only MOEA-registered companies, medical institutions and government bodies may apply."""
    if application.brand.legal_entity_type != LegalEntityType.OTHER:
        return None
    return _(
        "%(brand)s's legal entity type is not eligible: only companies registered with the MOEA, "
        "medical institutions and government agencies may apply. Correct it on the brand if it is wrong."
    ) % {"brand": application.brand}


def gate_certified_provider(application: Application, on: date) -> str | None:
    """The company must be a Certified Provider before it asks for a test account."""
    if application.brand.is_certified_provider:
        return None
    return _("%(brand)s is not a Certified Provider yet: mark it on the brand once LINE has certified it.") % {
        "brand": application.brand
    }


def gate_nda(application: Application, on: date) -> str | None:
    """A signed NDA valid on the day of the move is on file."""
    valid = application.documents.filter(kind=DocumentKind.NDA, signed_on__lte=on, expires_on__gte=on).exists()
    if valid:
        return None
    return _("Upload the signed NDA valid on %(date)s (with its signing and expiry dates).") % {"date": on.isoformat()}


def gate_io_contract(application: Application, on: date) -> str | None:
    """The IO contract is needed before production permission."""
    if application.documents.filter(kind=DocumentKind.IO_CONTRACT).exists():
        return None
    return _("Upload the signed IO contract before asking for production permission.")


def gate_test_screenshots(application: Application, on: date) -> str | None:
    """LINE reviews the test results from the brand's screenshots."""
    if application.documents.filter(kind=DocumentKind.TEST_SCREENSHOT).exists():
        return None
    return _("Attach the screenshots of the test results before sending them to LINE for review.")


GATES: dict[str, tuple[Gate, ...]] = {
    # Direct path
    Stage.SERVICE_PLAN_REVIEW: (gate_account_type, gate_legal_entity, gate_nda),
    Stage.TEST_PERMISSION_REQUESTED: (gate_certified_provider, gate_nda),
    Stage.TEST_RESULTS_REVIEW: (gate_test_screenshots, gate_nda),
    Stage.PRODUCTION_PERMISSION_REQUESTED: (gate_io_contract, gate_nda),
    # Partner path: the partner's NDA covers LINE's documents; the brand's eligibility still counts.
    Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION: (gate_account_type, gate_legal_entity),
    Stage.PARTNER_TESTING: (gate_certified_provider,),
    Stage.PRODUCTION_PERMISSION: (gate_test_screenshots, gate_io_contract),
}


def gate_failures(application: Application, to_stage: str, on: date) -> list[str]:
    """Return the reasons ``application`` may not enter ``to_stage`` on ``on`` (empty: all gates met)."""
    reasons = []
    for gate in GATES.get(to_stage, ()):
        reason = gate(application, on)
        if reason:
            reasons.append(reason)
    return reasons


# The gates a brand cannot meet by doing its part of the current step (uploading a document):
# while one of them fails for a step ahead, the application has no forecast, only "blocked".
BLOCKING_GATES: dict[str, tuple[Gate, ...]] = {
    stage: tuple(gate for gate in gates if gate in (gate_account_type, gate_legal_entity, gate_certified_provider))
    for stage, gates in GATES.items()
}


def gate_title(gate: Gate, application: Application) -> str:
    """Return a gate's short name for "blocked: <gate>"."""
    if gate is gate_account_type:
        if application.brand.account_type == AccountType.VERIFIED_BLUE:
            return _("blue-shield special approval")
        return _("enterprise (green-shield) account")
    if gate is gate_legal_entity:
        return _("eligible legal entity")
    if gate is gate_certified_provider:
        return _("Certified Provider")
    return gate.__name__

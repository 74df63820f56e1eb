"""The technology partners' catalogue: which use cases LINE already approved for a partner.

On the partner path, LINE reviews only the use cases the partner has not had approved (10–15
working days); an application whose use cases are all in the catalogue skips that review, and
the reason is recorded with the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from applications.choices import UseCase
from applications.models import Application, PartnerUseCase
from portal.choices import ApplicationPath


@dataclass(frozen=True)
class UseCaseReview:
    """Whether LINE must review use cases for this application, and why (or why not)."""

    needed: bool
    reason: str


def use_case_review(application: Application, *, on: date) -> UseCaseReview:
    """Return whether the application's use cases need LINE's review as of ``on``.

    Direct path: only a new use case does (it waits for the quarterly cut-off). Partner path:
    a new use case, or any use case not in the partner's catalogue by ``on``.
    """
    if application.path != ApplicationPath.PARTNER or application.partner_id is None:
        return UseCaseReview(needed=application.has_new_use_case, reason="")
    approved = {
        entry.use_case: entry
        for entry in PartnerUseCase.objects.filter(partner_id=application.partner_id, approved_on__lte=on)
    }
    missing = [code for code in application.use_cases if code not in approved]
    if application.has_new_use_case or missing:
        labels = [str(UseCase(code).label) for code in missing if code in UseCase.values]
        if application.has_new_use_case:
            labels.append(application.new_use_case_description)
        return UseCaseReview(
            needed=True,
            reason=_("LINE reviews use cases %(partner)s has no approval for yet (10–15 working days): %(cases)s.")
            % {"partner": application.partner, "cases": "; ".join(labels)},
        )
    listed = [
        _("%(case)s (approved %(date)s, %(evidence)s)")
        % {
            "case": approved[code].get_use_case_display(),
            "date": approved[code].approved_on.isoformat(),
            "evidence": approved[code].evidence_note or (approved[code].evidence_file.name or "").rsplit("/", 1)[-1],
        }
        for code in application.use_cases
    ]
    return UseCaseReview(
        needed=False,
        reason=_("Use-case review skipped: LINE already approved these for %(partner)s: %(cases)s.")
        % {"partner": application.partner, "cases": "; ".join(listed)},
    )

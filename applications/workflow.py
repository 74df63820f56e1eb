"""The stage table: which move is allowed from where, who holds each stage, LINE's windows.

Like ``Order.set_status`` in django-oscar, the allowed moves are data. :func:`check_move`
answers "may this application go there?" with a reason when it may not; eligibility gates
(documents, brand status) are checked afterwards by :mod:`applications.gates`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from applications.choices import Holder, Stage
from applications.exceptions import TransitionNotAllowed
from portal.choices import ApplicationPath

PATH_STAGES: dict[str, tuple[Stage, ...]] = {
    ApplicationPath.DIRECT: (
        Stage.PREPARING_DOCUMENTS,
        Stage.SERVICE_PLAN_REVIEW,
        Stage.TEST_PERMISSION_REQUESTED,
        Stage.BRAND_TESTING,
        Stage.TEST_RESULTS_REVIEW,
        Stage.PRODUCTION_PERMISSION_REQUESTED,
        Stage.LIVE,
    ),
    ApplicationPath.PARTNER: (
        Stage.PREPARING,
        Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION,
        Stage.PARTNER_TESTING,
        Stage.PRODUCTION_PERMISSION,
        Stage.LIVE,
    ),
}
FINAL_STAGES = frozenset({Stage.LIVE, Stage.WITHDRAWN})
# Stages in which LINE is reviewing something and may send it back with questions.
LINE_STAGES = frozenset(
    {
        Stage.SERVICE_PLAN_REVIEW,
        Stage.TEST_PERMISSION_REQUESTED,
        Stage.TEST_RESULTS_REVIEW,
        Stage.PRODUCTION_PERMISSION_REQUESTED,
        Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION,
        Stage.PRODUCTION_PERMISSION,
    }
)
HOLDERS: dict[str, Holder] = {
    Stage.PREPARING_DOCUMENTS: Holder.BRAND,  # the brand signs and returns LINE's forms
    Stage.BRAND_TESTING: Holder.BRAND,
    Stage.CHANGES_REQUESTED_BY_LINE: Holder.BRAND,  # the brand answers LINE's questions
    Stage.PREPARING: Holder.US,  # on the partner path we fill in the forms
    Stage.PARTNER_TESTING: Holder.US,
    Stage.ON_HOLD: Holder.US,  # we decide when it resumes
    Stage.LIVE: Holder.NOBODY,
    Stage.WITHDRAWN: Holder.NOBODY,
    **{stage: Holder.LINE for stage in LINE_STAGES},
}


@dataclass(frozen=True)
class Window:
    """LINE's expected time for a step, in Taiwan working days (``max_days`` None: no guarantee)."""

    min_days: int
    max_days: int | None
    after_quarterly_cutoff: bool = False


WINDOWS: dict[str, Window] = {
    Stage.SERVICE_PLAN_REVIEW: Window(7, 14),  # existing use cases
    Stage.TEST_PERMISSION_REQUESTED: Window(5, 7),
    Stage.TEST_RESULTS_REVIEW: Window(5, 7),
    Stage.PRODUCTION_PERMISSION_REQUESTED: Window(5, 7),
    Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION: Window(10, 10),
    Stage.PRODUCTION_PERMISSION: Window(3, 3),
}
# A new use case waits for the quarterly submission to LINE HQ, then LINE's general
# "at least 20 working days" with no guaranteed end.
NEW_USE_CASE_SERVICE_PLAN_REVIEW = Window(20, None, after_quarterly_cutoff=True)
# On the partner path the partner's approved use cases need no review; a new one takes 10–15.
NEW_USE_CASE_PARTNER_REVIEW = Window(10, 15)
# Anything LINE asked to change is reviewed again in 5–7 working days.
REREVIEW = Window(5, 7)


def window_for(stage: str, *, has_new_use_case: bool, is_rereview: bool = False) -> Window | None:
    """Return LINE's window for entering ``stage``, or None for the brand's and our own stages."""
    if stage not in WINDOWS:
        return None
    if is_rereview:
        return REREVIEW
    if has_new_use_case and stage == Stage.SERVICE_PLAN_REVIEW:
        return NEW_USE_CASE_SERVICE_PLAN_REVIEW
    if has_new_use_case and stage == Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION:
        return NEW_USE_CASE_PARTNER_REVIEW
    return WINDOWS[stage]


def first_stage(path: str) -> Stage:
    return PATH_STAGES[path][0]


def next_stage(path: str, stage: str) -> Stage | None:
    """Return the next forward stage on the path, or None at the end or off the path."""
    stages = PATH_STAGES[path]
    if stage not in stages or stage == stages[-1]:
        return None
    return stages[stages.index(stage) + 1]  # type: ignore[arg-type]


def label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def check_move(*, path: str, stage: str, to_stage: str, held_from: str = "", changes_for: str = "") -> None:
    """Raise :class:`TransitionNotAllowed` with the reason when ``stage → to_stage`` is not in the table."""
    if to_stage not in Stage.values:
        raise TransitionNotAllowed(_("“%(stage)s” is not a stage.") % {"stage": to_stage}, field="to_stage")
    if stage in FINAL_STAGES:
        raise TransitionNotAllowed(
            _("The application is %(stage)s: that is final, nothing moves out of it.") % {"stage": label(stage)}
        )
    if to_stage == stage:
        raise TransitionNotAllowed(_("The application is already in “%(stage)s”.") % {"stage": label(stage)})
    if to_stage == Stage.WITHDRAWN:
        return
    if to_stage == Stage.ON_HOLD:
        return
    if stage == Stage.ON_HOLD:
        if to_stage != held_from:
            raise TransitionNotAllowed(
                _("An application on hold goes back to the stage it left, “%(stage)s”, or is withdrawn.")
                % {"stage": label(held_from)}
            )
        return
    if to_stage == Stage.CHANGES_REQUESTED_BY_LINE:
        if stage not in LINE_STAGES:
            raise TransitionNotAllowed(
                _("LINE can request changes only while it reviews; “%(stage)s” is not a LINE review.")
                % {"stage": label(stage)}
            )
        return
    if stage == Stage.CHANGES_REQUESTED_BY_LINE:
        if to_stage != changes_for:
            raise TransitionNotAllowed(
                _("After changing what LINE asked, the application goes back to “%(stage)s” for re-review.")
                % {"stage": label(changes_for)}
            )
        return
    if to_stage not in PATH_STAGES[path]:
        raise TransitionNotAllowed(
            _("“%(stage)s” is not a stage of the %(path)s path.")
            % {"stage": label(to_stage), "path": ApplicationPath(path).label}
        )
    expected = next_stage(path, stage)
    if to_stage != expected:
        raise TransitionNotAllowed(
            _("From “%(stage)s” the next step is “%(next)s”, not “%(to)s”.")
            % {"stage": label(stage), "next": label(expected or ""), "to": label(to_stage)}
        )


def structural_targets(*, path: str, stage: str, held_from: str = "", changes_for: str = "") -> list[Stage]:
    """Return every stage the table allows from here, forward move first."""
    candidates = [*PATH_STAGES[path], Stage.CHANGES_REQUESTED_BY_LINE, Stage.ON_HOLD, Stage.WITHDRAWN]
    allowed = []
    for candidate in candidates:
        try:
            check_move(path=path, stage=stage, to_stage=candidate, held_from=held_from, changes_for=changes_for)
        except TransitionNotAllowed:
            continue
        allowed.append(candidate)
    return allowed

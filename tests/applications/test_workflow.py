"""The stage table, move by move: every allowed move, every kind of refused move."""

from __future__ import annotations

from itertools import pairwise

import pytest

from applications.choices import Stage
from applications.exceptions import TransitionNotAllowed
from applications.workflow import LINE_STAGES, PATH_STAGES, check_move, structural_targets

S = Stage
DIRECT = PATH_STAGES["direct"]
PARTNER = PATH_STAGES["partner"]

FORWARD = [("direct", a, b) for a, b in pairwise(DIRECT)] + [("partner", a, b) for a, b in pairwise(PARTNER)]
OPEN = [(path, stage) for path, stages in PATH_STAGES.items() for stage in stages if stage != S.LIVE]
LINE = [(path, stage) for path, stages in PATH_STAGES.items() for stage in stages if stage in LINE_STAGES]


@pytest.mark.parametrize(("path", "stage", "to_stage"), FORWARD)
def test_each_forward_step_of_each_path_is_allowed(path: str, stage: str, to_stage: str) -> None:
    check_move(path=path, stage=stage, to_stage=to_stage)


@pytest.mark.parametrize(("path", "stage"), OPEN)
def test_any_open_stage_may_go_on_hold_and_come_back_to_it(path: str, stage: str) -> None:
    check_move(path=path, stage=stage, to_stage=S.ON_HOLD)
    check_move(path=path, stage=S.ON_HOLD, to_stage=stage, held_from=stage)


@pytest.mark.parametrize(("path", "stage"), [*OPEN, ("direct", S.ON_HOLD), ("direct", S.CHANGES_REQUESTED_BY_LINE)])
def test_any_open_stage_may_be_withdrawn(path: str, stage: str) -> None:
    check_move(
        path=path, stage=stage, to_stage=S.WITHDRAWN, held_from=S.BRAND_TESTING, changes_for=S.TEST_RESULTS_REVIEW
    )


@pytest.mark.parametrize(("path", "stage"), LINE)
def test_line_may_request_changes_while_it_reviews_and_the_stage_comes_back(path: str, stage: str) -> None:
    check_move(path=path, stage=stage, to_stage=S.CHANGES_REQUESTED_BY_LINE)
    check_move(path=path, stage=S.CHANGES_REQUESTED_BY_LINE, to_stage=stage, changes_for=stage)


def test_changes_requested_may_go_on_hold_and_come_back() -> None:
    check_move(path="direct", stage=S.CHANGES_REQUESTED_BY_LINE, to_stage=S.ON_HOLD, changes_for=S.SERVICE_PLAN_REVIEW)
    check_move(
        path="direct", stage=S.ON_HOLD, to_stage=S.CHANGES_REQUESTED_BY_LINE, held_from=S.CHANGES_REQUESTED_BY_LINE
    )


REFUSED = [
    # (path, stage, to_stage, held_from, changes_for, words in the reason)
    ("direct", S.PREPARING_DOCUMENTS, S.TEST_PERMISSION_REQUESTED, "", "", "next step is"),
    ("direct", S.PREPARING_DOCUMENTS, S.LIVE, "", "", "next step is"),
    ("direct", S.BRAND_TESTING, S.SERVICE_PLAN_REVIEW, "", "", "next step is"),
    ("direct", S.PRODUCTION_PERMISSION_REQUESTED, S.TEST_RESULTS_REVIEW, "", "", "next step is"),
    ("partner", S.PREPARING, S.PARTNER_TESTING, "", "", "next step is"),
    ("partner", S.PREPARING, S.LIVE, "", "", "next step is"),
    ("direct", S.PREPARING_DOCUMENTS, S.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, "", "", "not a stage of the"),
    ("partner", S.PREPARING, S.SERVICE_PLAN_REVIEW, "", "", "not a stage of the"),
    ("direct", S.LIVE, S.ON_HOLD, "", "", "final"),
    ("direct", S.LIVE, S.WITHDRAWN, "", "", "final"),
    ("partner", S.LIVE, S.PRODUCTION_PERMISSION, "", "", "final"),
    ("direct", S.WITHDRAWN, S.PREPARING_DOCUMENTS, "", "", "final"),
    ("direct", S.BRAND_TESTING, S.BRAND_TESTING, "", "", "already in"),
    ("direct", S.ON_HOLD, S.ON_HOLD, S.BRAND_TESTING, "", "already in"),
    ("direct", S.ON_HOLD, S.TEST_RESULTS_REVIEW, S.BRAND_TESTING, "", "goes back to the stage it left"),
    ("direct", S.ON_HOLD, S.LIVE, S.PRODUCTION_PERMISSION_REQUESTED, "", "goes back to the stage it left"),
    ("direct", S.PREPARING_DOCUMENTS, S.CHANGES_REQUESTED_BY_LINE, "", "", "only while it reviews"),
    ("direct", S.BRAND_TESTING, S.CHANGES_REQUESTED_BY_LINE, "", "", "only while it reviews"),
    ("partner", S.PARTNER_TESTING, S.CHANGES_REQUESTED_BY_LINE, "", "", "only while it reviews"),
    ("direct", S.CHANGES_REQUESTED_BY_LINE, S.TEST_PERMISSION_REQUESTED, "", S.SERVICE_PLAN_REVIEW, "re-review"),
    ("direct", S.CHANGES_REQUESTED_BY_LINE, S.LIVE, "", S.PRODUCTION_PERMISSION_REQUESTED, "re-review"),
    ("direct", S.PREPARING_DOCUMENTS, "approved", "", "", "is not a stage"),
]


@pytest.mark.parametrize(("path", "stage", "to_stage", "held_from", "changes_for", "reason"), REFUSED)
def test_moves_outside_the_table_are_refused_with_a_reason(
    path: str, stage: str, to_stage: str, held_from: str, changes_for: str, reason: str
) -> None:
    with pytest.raises(TransitionNotAllowed, match=reason):
        check_move(path=path, stage=stage, to_stage=to_stage, held_from=held_from, changes_for=changes_for)


def test_the_moves_offered_from_a_line_review_are_next_changes_hold_and_withdraw() -> None:
    assert structural_targets(path="direct", stage=S.SERVICE_PLAN_REVIEW) == [
        S.TEST_PERMISSION_REQUESTED,
        S.CHANGES_REQUESTED_BY_LINE,
        S.ON_HOLD,
        S.WITHDRAWN,
    ]


def test_nothing_is_offered_once_live() -> None:
    assert structural_targets(path="partner", stage=S.LIVE) == []

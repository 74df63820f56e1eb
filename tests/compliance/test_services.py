"""The review workflow: moves, four-eyes, locking, versioning, suspension and quality."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from compliance.choices import ChangeReason, TemplateStatus
from compliance.exceptions import TemplateNotSendable, TransitionNotAllowed, VersionLocked
from compliance.models import MessageTemplate, TemplateVersion
from compliance.selectors import template_version_for_send
from compliance.services import (
    TemplateSendStats,
    template_approve,
    template_new_version,
    template_quality_review,
    template_record_rule_result,
    template_record_send_violation,
    template_reject,
    template_request_changes,
    template_retire,
    template_start_review,
    template_submit,
    template_suspend,
    template_update_draft,
)
from portal.models import AuditEvent, Brand

from .conftest import confirm_manual_rules


def test_submitting_stores_the_rule_results_and_queues_the_version(submitted: TemplateVersion, manager: User) -> None:
    assert submitted.status == TemplateStatus.SUBMITTED
    assert submitted.submitted_by == manager and submitted.submitted_at is not None
    assert submitted.rule_results.count() >= 20
    assert submitted.rule_results.get(rule_code="BUTTON_RELATES").passed is None


def test_a_draft_with_promotional_wording_cannot_be_submitted(
    make_template: Callable[..., MessageTemplate], manager: User
) -> None:
    version = make_template(
        text="限時優惠！您的訂單 {order_id} 已於 {event_time} 出貨，若已收到請忽略此訊息。"
    ).versions.get()
    with pytest.raises(TransitionNotAllowed) as error:
        template_submit(version=version, actor=manager)
    assert error.value.code == "blocking_rules_failed" and "PROMO_WORDING" in str(error.value)
    version.refresh_from_db()
    assert version.status == TemplateStatus.DRAFT
    assert version.rule_results.get(rule_code="PROMO_WORDING").passed is False  # kept for the author to see


def test_the_author_can_never_approve_their_own_version(
    make_user: Callable[..., User], brand: Brand, make_template: Callable[..., MessageTemplate]
) -> None:
    # given an account manager who is also a reviewer
    from django.contrib.auth.models import Group

    from portal.choices import Role

    both = make_user("both", Role.ACCOUNT_MANAGER)
    both.groups.add(Group.objects.get(name=str(Role.COMPLIANCE_REVIEWER)))
    brand.account_managers.add(both)
    both = User.objects.get(pk=both.pk)
    version = make_template().versions.get()
    template_update_draft(version=version, actor=both, text=version.text + " ")
    version.author = both
    version.save()
    template_submit(version=version, actor=both)
    # when / then
    with pytest.raises(TransitionNotAllowed) as error:
        template_start_review(version=version, reviewer=both)
    assert error.value.code == "four_eyes"


def test_a_superuser_author_cannot_approve_their_own_version(
    superuser: User, brand: Brand, link_domain: object, reviewer: User
) -> None:
    from compliance.services import template_create

    from .conftest import SHIPPING_CONTENT

    template = template_create(
        brand=brand, code="x", name="X", use_case="delivery_notice", author=superuser, **SHIPPING_CONTENT
    )
    version = template_submit(version=template.versions.get(), actor=superuser)
    with pytest.raises(TransitionNotAllowed, match="Four-eyes"):
        template_start_review(version=version, reviewer=superuser)


def test_a_version_in_review_is_locked_to_its_reviewer(
    in_review: TemplateVersion, reviewer: User, reviewer2: User
) -> None:
    assert in_review.locked_to == reviewer
    with pytest.raises(TransitionNotAllowed) as error:
        template_start_review(version=in_review, reviewer=reviewer2)
    assert error.value.code == "locked"
    confirm_manual_rules(in_review, reviewer)
    with pytest.raises(TransitionNotAllowed, match="in review by reviewer"):
        template_approve(version=in_review, reviewer=reviewer2)
    with pytest.raises(TransitionNotAllowed):
        template_record_rule_result(version=in_review, reviewer=reviewer2, rule_code="BUTTON_RELATES", passed=False)


def test_approval_waits_for_the_manual_rules(in_review: TemplateVersion, reviewer: User) -> None:
    with pytest.raises(TransitionNotAllowed) as error:
        template_approve(version=in_review, reviewer=reviewer)
    assert "BUTTON_RELATES" in str(error.value)
    template_record_rule_result(version=in_review, reviewer=reviewer, rule_code="BUTTON_RELATES", passed=True)
    assert template_approve(version=in_review, reviewer=reviewer).status == TemplateStatus.APPROVED


def test_a_reviewer_failing_a_manual_rule_blocks_approval(in_review: TemplateVersion, reviewer: User) -> None:
    template_record_rule_result(
        version=in_review, reviewer=reviewer, rule_code="BUTTON_RELATES", passed=False, note="opens the shop home"
    )
    with pytest.raises(TransitionNotAllowed, match="BUTTON_RELATES"):
        template_approve(version=in_review, reviewer=reviewer)
    event = AuditEvent.objects.filter(action="template.rule_reviewed").get()
    assert event.data["rule"] == "BUTTON_RELATES" and event.data["passed"] is False


def test_reviewers_cannot_author_and_managers_cannot_review(
    draft: TemplateVersion, reviewer: User, manager: User
) -> None:
    with pytest.raises(TransitionNotAllowed, match="account managers"):
        template_update_draft(version=draft, actor=reviewer, text="x")
    template_submit(version=draft, actor=manager)
    with pytest.raises(TransitionNotAllowed, match="compliance reviewers"):
        template_start_review(version=draft, reviewer=manager)


def test_an_approved_version_cannot_change(approved: TemplateVersion, manager: User) -> None:
    approved.text = "changed"
    with pytest.raises(VersionLocked):
        approved.save()
    approved.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="create a new version"):
        template_update_draft(version=approved, actor=manager, text="changed")
    with pytest.raises(VersionLocked):
        TemplateVersion.objects.get(pk=approved.pk).__class__(
            **{**{f.attname: getattr(approved, f.attname) for f in approved._meta.concrete_fields}, "text": "x"}
        ).save()


def test_editing_an_approved_template_creates_a_new_draft_and_the_old_one_keeps_sending(
    approved: TemplateVersion, manager: User, reviewer2: User, brand: Brand
) -> None:
    # given
    template = approved.template
    # when
    draft = template_new_version(template=template, author=manager, text=approved.text.replace("出貨", "寄出"))
    # then
    assert draft.number == 2 and draft.status == TemplateStatus.DRAFT
    assert template_version_for_send(brand=brand, code=template.code) == approved
    with pytest.raises(TransitionNotAllowed, match="still"):
        template_new_version(template=template, author=manager)
    # and once v2 is approved, v1 retires
    template_submit(version=draft, actor=manager)
    template_start_review(version=draft, reviewer=reviewer2)
    confirm_manual_rules(draft, reviewer2)
    template_approve(version=draft, reviewer=reviewer2)
    approved.refresh_from_db()
    assert approved.status == TemplateStatus.RETIRED
    assert template_version_for_send(brand=brand, code=template.code) == draft


def test_request_changes_needs_coded_reasons_and_reopens_the_draft(
    in_review: TemplateVersion, reviewer: User, manager: User
) -> None:
    with pytest.raises(TransitionNotAllowed, match="reason"):
        template_request_changes(version=in_review, reviewer=reviewer, reasons=[])
    in_review = template_request_changes(
        version=in_review, reviewer=reviewer, reasons=[ChangeReason.WORDING], comment="say which courier"
    )
    assert in_review.status == TemplateStatus.CHANGES_REQUESTED and in_review.locked_to is None
    template_update_draft(version=in_review, actor=manager, text=in_review.text.replace("出貨", "由黑貓宅急便出貨"))
    assert template_submit(version=in_review, actor=manager).status == TemplateStatus.SUBMITTED


def test_disallowed_moves_raise_with_a_reason(
    draft: TemplateVersion, submitted: TemplateVersion, reviewer: User
) -> None:
    with pytest.raises(TransitionNotAllowed, match="Start the review first"):
        template_approve(version=submitted, reviewer=reviewer)
    with pytest.raises(TransitionNotAllowed, match="cannot become"):
        template_suspend(version=submitted, actor=reviewer, reason={})


def test_suspension_stops_sends_and_puts_the_version_back_in_the_queue(
    approved: TemplateVersion, reviewer: User, brand: Brand
) -> None:
    template_suspend(version=approved, actor=reviewer, reason={"kind": "manual"})
    with pytest.raises(TemplateNotSendable) as error:
        template_version_for_send(brand=brand, code="shipping_notice")
    assert error.value.code == "template_suspended" and error.value.field == "template"
    # a reviewer can reinstate it after review
    template_start_review(version=approved, reviewer=reviewer)
    with pytest.raises(TransitionNotAllowed, match="reject"):
        template_request_changes(version=approved, reviewer=reviewer, reasons=[ChangeReason.OTHER])
    confirm_manual_rules(approved, reviewer)
    template_approve(version=approved, reviewer=reviewer)
    assert template_version_for_send(brand=brand, code="shipping_notice") == approved


@pytest.mark.parametrize(
    ("setup", "code"),
    [("none", "template_unknown"), ("draft", "template_not_approved"), ("retired", "template_retired")],
)
def test_only_an_approved_version_is_sendable(
    setup: str, code: str, request: pytest.FixtureRequest, brand: Brand, reviewer: User
) -> None:
    if setup == "draft":
        request.getfixturevalue("draft")
    if setup == "retired":
        template_retire(version=request.getfixturevalue("approved"), actor=reviewer)
    with pytest.raises(TemplateNotSendable) as error:
        template_version_for_send(brand=brand, code="shipping_notice")
    assert error.value.code == code


def test_a_rejected_version_is_final(in_review: TemplateVersion, reviewer: User, manager: User) -> None:
    template_reject(version=in_review, reviewer=reviewer, reasons=[ChangeReason.USE_CASE], comment="marketing")
    with pytest.raises(TransitionNotAllowed):
        template_submit(version=in_review, actor=manager)
    assert template_new_version(template=in_review.template, author=manager).number == 2


def test_every_move_is_audited(approved: TemplateVersion) -> None:
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label"))
    assert ("template.created", "manager") in actions
    assert ("template.submitted", "manager") in actions
    assert ("template.review_started", "reviewer") in actions
    assert ("template.rule_reviewed", "reviewer") in actions
    assert ("template.approved", "reviewer") in actions


@override_settings(COMPLIANCE_SEND_VIOLATION_THRESHOLD=3)
def test_a_template_whose_sends_keep_tripping_the_rules_is_put_on_hold(approved: TemplateVersion, brand: Brand) -> None:
    assert (
        template_record_send_violation(version=approved, rule_code="PROMO_WORDING", field="variables.order_id") is False
    )
    assert template_record_send_violation(version=approved, rule_code="VALUE_LINK") is False
    assert template_record_send_violation(version=approved, rule_code="PROMO_WORDING") is True
    approved.refresh_from_db()
    assert approved.status == TemplateStatus.SUSPENDED
    assert approved.hold_reason["rules"] == {"PROMO_WORDING": 2, "VALUE_LINK": 1}
    with pytest.raises(TemplateNotSendable):
        template_version_for_send(brand=brand, code="shipping_notice")


@override_settings(
    COMPLIANCE_SMS_FALLBACK_SHARE_MAX=0.5, COMPLIANCE_BLOCK_SHARE_MAX=0.03, COMPLIANCE_QUALITY_MIN_SENDS=100
)
def test_the_quality_review_suspends_templates_past_the_thresholds(
    approved: TemplateVersion, make_template: Callable[..., MessageTemplate], reviewer: User, reviewer2: User
) -> None:
    # given a second approved template
    from compliance.services import template_start_review as start

    other = make_template(code="bill_notice", use_case="bill").versions.get()
    template_submit(version=other, actor=other.author)
    start(version=other, reviewer=reviewer2)
    confirm_manual_rules(other, reviewer2)
    template_approve(version=other, reviewer=reviewer2)
    stats = [
        TemplateSendStats(
            approved.pk, sends=1000, sms_fallbacks=100, line_deliveries_known_uid=800, blocked_within_24h=40
        ),
        TemplateSendStats(other.pk, sends=1000, sms_fallbacks=400, line_deliveries_known_uid=500, blocked_within_24h=5),
        TemplateSendStats(999999, sends=5, sms_fallbacks=5, line_deliveries_known_uid=0, blocked_within_24h=0),
    ]
    # when
    suspended = template_quality_review(stats=stats)
    # then: 40/800 = 5% blocked > 3%; the other is within both thresholds
    assert suspended == [approved.pk]
    approved.refresh_from_db()
    assert approved.status == TemplateStatus.SUSPENDED
    assert approved.hold_reason["over"] == ["block_share"] and approved.hold_reason["block_share"] == 0.05
    assert template_quality_review(stats=stats) == []  # a second run changes nothing


def test_the_term_list_and_link_domains_change_only_with_an_audit_row(brand: Brand, reviewer: User) -> None:
    from compliance.models import BrandLinkDomain, PromotionalTerm
    from compliance.services import brand_link_domain_save, brand_link_domains_remove, promotional_term_save
    from portal.models import AuditEvent

    term = promotional_term_save(term=PromotionalTerm(term="限時搶購"), actor=reviewer, changed=["term"])
    domain = brand_link_domain_save(domain=BrandLinkDomain(brand=brand, domain="shop.example.tw"), actor=reviewer)
    assert brand_link_domains_remove(domains=[domain], actor=reviewer) == 1
    rows = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "brand_id"))
    assert rows[-3:] == [
        ("promotional_term.created", reviewer.username, None),
        ("link_domain.added", reviewer.username, brand.pk),
        ("link_domain.removed", reviewer.username, brand.pk),
    ]
    assert PromotionalTerm.objects.filter(pk=term.pk).exists() and not BrandLinkDomain.objects.exists()

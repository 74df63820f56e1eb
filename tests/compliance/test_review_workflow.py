"""The review workflow: findings in the reader's language, overrules with four eyes, lock takeover, mails, diffs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from compliance.choices import OverruleReason, TemplateStatus
from compliance.clauses import CLAUSES_BY_ID, RULE_CLAUSES
from compliance.diffs import field_diff, tokens
from compliance.exceptions import TransitionNotAllowed
from compliance.models import MessageTemplate, RuleResult, TemplateVersion
from compliance.rules import RULES
from compliance.services import (
    review_digest_send,
    rule_result_confirm_overrule,
    rule_result_overrule,
    template_approve,
    template_record_rule_result,
    template_request_changes,
    template_start_review,
    template_submit,
    template_take_over_review,
    template_update_draft,
)
from portal.models import AuditEvent

from .conftest import confirm_manual_rules

PARTNER_URL = "https://tracking.partner-post.example/parcels/{order_id}"


@pytest.fixture
def partner_link_draft(make_template: Callable[..., MessageTemplate]) -> TemplateVersion:
    """A draft whose button leads to a domain off the brand's allow-list: LINK_DOMAIN blocks it."""
    return make_template(button_url=PARTNER_URL).versions.get()


def _blocked(version: TemplateVersion, manager: User) -> RuleResult:
    with pytest.raises(TransitionNotAllowed):
        template_submit(version=version, actor=manager)
    return version.rule_results.get(rule_code="LINK_DOMAIN")


def client_for(user: User, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


# --- Findings as code + parameters -----------------------------------------------------------


def test_a_finding_is_stored_as_a_code_and_read_in_the_readers_language(
    partner_link_draft: TemplateVersion, manager: User
) -> None:
    # given: the author ran the check in English
    result = _blocked(partner_link_draft, manager)
    # then: the code and its parameters are stored, not only the English words
    assert result.message_code == "link.domain"
    assert result.message_params == {"urls": PARTNER_URL}
    assert result.display_message == f"Domain not on the brand's allow-list: {PARTNER_URL}"
    # and a reviewer reading in Traditional Chinese reads it in Chinese
    with translation.override("zh-hant"):
        assert result.display_message == f"網域不在品牌允許清單：{PARTNER_URL}"


def test_an_advertising_finding_is_stored_as_codes_and_read_in_the_readers_language(
    make_template: Callable[..., MessageTemplate], manager: User
) -> None:
    # given: a shipping notice that also announces a sitewide discount (the author works in English)
    version = make_template(text="您的訂單 {order_id} 已於 {event_time} 出貨。全館五折，只到週日！").versions.get()
    with translation.override("en"), pytest.raises(TransitionNotAllowed):
        template_submit(version=version, actor=manager)
    result = version.rule_results.get(rule_code="PROMO_WORDING")

    # then: the detector's own codes and the evidence are stored, not the author's words
    assert result.message_code == "list"
    items = result.message_params["items"]
    assert {item["params"]["finding"]["code"] for item in items} >= {"ad.discount"}
    assert any(item["params"]["finding"]["text"] == "五折" for item in items)
    # and each reader reads it in their own language, with the clause's section
    with translation.override("en"):
        english = result.display_message
    with translation.override("zh-hant"):
        chinese = result.display_message
    assert "Discount offer: “五折”" in english and "blocks" in english and "§" in english
    assert "折扣優惠：「五折」" in chinese and "阻擋" in chinese


def test_a_finding_given_only_as_text_shows_that_text() -> None:
    result = RuleResult(rule_code="PROMO_WORDING", message="限時優惠", message_code="")
    assert result.display_message == "限時優惠"
    result.message_code, result.message_params = "retired.code", {"x": 1}
    assert result.display_message == "限時優惠"  # a code no longer known falls back to the stored text


def test_the_migration_maps_stored_texts_of_either_language_to_codes() -> None:
    migration = importlib.import_module("compliance.migrations.0006_review_workflow")
    patterns = migration._patterns()
    assert migration._match("網域不在品牌允許清單：https://a.example/x", patterns) == (
        "link.domain",
        {"urls": "https://a.example/x"},
    )
    assert migration._match("2 segment(s) at most (140 UCS-2 units)", patterns) == (
        "sms.segments",
        {"segments": 2, "units": 140, "enc": "UCS-2"},
    )
    assert migration._match("A wording nobody catalogued", patterns) is None


# --- Overrule with four eyes -------------------------------------------------------------------


def test_a_blocking_finding_overruled_and_confirmed_no_longer_blocks(
    partner_link_draft: TemplateVersion, manager: User, reviewer: User, reviewer2: User
) -> None:
    # given: a draft a blocking finding keeps from being submitted
    _blocked(partner_link_draft, manager)
    # when: a reviewer overrules it with a coded reason and a note
    result = rule_result_overrule(
        version=partner_link_draft,
        reviewer=reviewer,
        rule_code="LINK_DOMAIN",
        reason=OverruleReason.LINE_APPROVED,
        note="Chunghwa Post tracking page, approved in the brand's application",
    )
    assert result.overrule_needs_confirmation
    # then: the author can submit (the check runs again and finds the same)
    version = template_submit(version=partner_link_draft, actor=manager)
    assert version.status == TemplateStatus.SUBMITTED
    assert version.rule_results.get(rule_code="LINK_DOMAIN").is_overruled
    # but approval waits for a second reviewer
    version = template_start_review(version=version, reviewer=reviewer)
    confirm_manual_rules(version, reviewer)
    with pytest.raises(TransitionNotAllowed) as error:
        template_approve(version=version, reviewer=reviewer)
    assert error.value.code == "overrule_unconfirmed"
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_confirm_overrule(version=version, reviewer=reviewer, rule_code="LINK_DOMAIN")
    assert error.value.code == "four_eyes"
    rule_result_confirm_overrule(version=version, reviewer=reviewer2, rule_code="LINK_DOMAIN")
    approved = template_approve(version=version, reviewer=reviewer)
    assert approved.status == TemplateStatus.APPROVED
    actions = list(AuditEvent.objects.filter(object_id=str(version.pk)).values_list("action", "actor_label"))
    assert ("template.finding_overruled", "reviewer") in actions
    assert ("template.overrule_confirmed", "reviewer2") in actions


def test_the_author_cannot_overrule_a_finding_on_their_own_version(
    make_template: Callable[..., MessageTemplate], superuser: User, brand: object, manager: User
) -> None:
    version = make_template(button_url=PARTNER_URL).versions.get()
    version.author = superuser
    version.save(update_fields=["author"])
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_overrule(version=version, reviewer=superuser, rule_code="LINK_DOMAIN", reason="other", note="mine")
    assert error.value.code == "four_eyes"
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_overrule(version=version, reviewer=manager, rule_code="LINK_DOMAIN", reason="other", note="x")
    assert error.value.code == "not_reviewer"


def test_an_overrule_needs_a_coded_reason_and_a_note(
    partner_link_draft: TemplateVersion, manager: User, reviewer: User
) -> None:
    _blocked(partner_link_draft, manager)
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_overrule(
            version=partner_link_draft, reviewer=reviewer, rule_code="LINK_DOMAIN", reason="", note="x"
        )
    assert error.value.field == "overrule_reason.LINK_DOMAIN"
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_overrule(
            version=partner_link_draft, reviewer=reviewer, rule_code="LINK_DOMAIN", reason="other", note="  "
        )
    assert error.value.field == "overrule_note.LINK_DOMAIN"
    assert not partner_link_draft.rule_results.get(rule_code="LINK_DOMAIN").is_overruled


def test_an_overrule_lapses_when_the_finding_changes(
    partner_link_draft: TemplateVersion, manager: User, reviewer: User
) -> None:
    _blocked(partner_link_draft, manager)
    rule_result_overrule(
        version=partner_link_draft, reviewer=reviewer, rule_code="LINK_DOMAIN", reason="line_approved", note="ok"
    )
    # when: the author links somewhere else that is not allowed either
    template_update_draft(version=partner_link_draft, actor=manager, button_url="https://other.example/{order_id}")
    partner_link_draft.refresh_from_db()
    # then: the new finding is looked at afresh
    result = _blocked(partner_link_draft, manager)
    assert not result.is_overruled
    assert AuditEvent.objects.filter(action="template.overrule_dropped", object_id=str(partner_link_draft.pk)).exists()


def test_a_failed_blocking_check_cannot_be_passed_by_one_reviewers_verdict(
    partner_link_draft: TemplateVersion, manager: User, reviewer: User
) -> None:
    _blocked(partner_link_draft, manager)
    rule_result_overrule(
        version=partner_link_draft, reviewer=reviewer, rule_code="LINK_DOMAIN", reason="line_approved", note="ok"
    )
    version = template_start_review(
        version=template_submit(version=partner_link_draft, actor=manager), reviewer=reviewer
    )
    # the unconfirmed overrule cannot be turned into a pass by the same reviewer's verdict
    with pytest.raises(TransitionNotAllowed) as error:
        template_record_rule_result(version=version, reviewer=reviewer, rule_code="LINK_DOMAIN", passed=True, note="x")
    assert error.value.code == "overrule_required"


# --- Lock takeover -----------------------------------------------------------------------------


def test_another_reviewer_takes_an_idle_review_over_and_it_is_audited(
    in_review: TemplateVersion, reviewer2: User, settings: object
) -> None:
    with pytest.raises(TransitionNotAllowed) as error:
        template_take_over_review(version=in_review, reviewer=reviewer2)
    assert error.value.code == "lock_active"
    # given: the holder has done nothing for longer than the idle time
    idle = timezone.now() - timedelta(minutes=31)
    TemplateVersion.objects.filter(pk=in_review.pk).update(lock_active_at=idle, locked_at=idle)
    version = template_take_over_review(version=in_review, reviewer=reviewer2)
    assert version.locked_to == reviewer2
    event = AuditEvent.objects.get(action="template.review_taken_over")
    assert event.data["from"] == "reviewer" and event.data["idle_minutes"] >= 31


def test_the_idle_time_is_a_setting(in_review: TemplateVersion, reviewer2: User, settings: object) -> None:
    settings.COMPLIANCE_REVIEW_LOCK_IDLE_MINUTES = 5  # type: ignore[attr-defined]
    idle = timezone.now() - timedelta(minutes=6)
    TemplateVersion.objects.filter(pk=in_review.pk).update(lock_active_at=idle)
    assert template_take_over_review(version=in_review, reviewer=reviewer2).locked_to == reviewer2


def test_a_superuser_takes_a_review_over_at_once(in_review: TemplateVersion, superuser: User) -> None:
    version = template_take_over_review(version=in_review, reviewer=superuser)
    assert version.locked_to == superuser
    assert AuditEvent.objects.get(action="template.review_taken_over").data["as_superuser"] is True


def test_the_holders_activity_keeps_the_lock(in_review: TemplateVersion, reviewer: User, reviewer2: User) -> None:
    idle = timezone.now() - timedelta(minutes=45)
    TemplateVersion.objects.filter(pk=in_review.pk).update(lock_active_at=idle)
    in_review.refresh_from_db()
    template_record_rule_result(version=in_review, reviewer=reviewer, rule_code="BUTTON_RELATES", passed=True)
    with pytest.raises(TransitionNotAllowed):
        template_take_over_review(version=in_review, reviewer=reviewer2)


def test_the_review_page_says_who_holds_the_lock_and_offers_the_takeover(
    in_review: TemplateVersion, reviewer2: User
) -> None:
    url = f"/admin/compliance/reviewqueueitem/{in_review.pk}/change/"
    page = client_for(reviewer2).get(url).content.decode()
    assert "In review by reviewer" in page and "since " in page and 'id="take-over"' not in page
    TemplateVersion.objects.filter(pk=in_review.pk).update(lock_active_at=timezone.now() - timedelta(hours=1))
    page = client_for(reviewer2).get(url).content.decode()
    assert 'id="take-over"' in page
    client_for(reviewer2).post(url, {"action": "take_over"})
    in_review.refresh_from_db()
    assert in_review.locked_to == reviewer2


# --- E-mail --------------------------------------------------------------------------------------


def test_the_author_is_mailed_a_request_for_changes_in_their_language(
    in_review: TemplateVersion, manager: User, reviewer: User, django_capture_on_commit_callbacks: Callable
) -> None:
    # given: the author submitted in English (the tests run in English)
    manager.email = "manager@acme.example"
    manager.save()
    assert in_review.author_language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        template_request_changes(version=in_review, reviewer=reviewer, reasons=["wording"], comment="Say when.")
    [message] = mail.outbox
    assert message.to == ["manager@acme.example"]
    assert "changes requested" in message.subject and "shipping_notice" in message.subject
    assert "Unclear or misleading wording" in message.body and "Say when." in message.body


def test_an_author_whose_language_is_unknown_is_mailed_in_traditional_chinese(
    approved: TemplateVersion, manager: User, reviewer: User, django_capture_on_commit_callbacks: Callable
) -> None:
    from compliance.services import template_decision_mail_send

    manager.email = "manager@acme.example"
    manager.save()
    TemplateVersion.objects.filter(pk=approved.pk).update(author_language="")
    assert template_decision_mail_send(version_id=approved.pk, decision="approved")
    assert "已核准" in mail.outbox[-1].subject


def test_approval_and_rejection_are_mailed_and_an_author_without_address_is_skipped(
    in_review: TemplateVersion, manager: User, reviewer: User, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        confirm_manual_rules(in_review, reviewer)
        template_approve(version=in_review, reviewer=reviewer)
    assert mail.outbox == []  # no address
    manager.email = "manager@acme.example"
    manager.save()
    from compliance.services import template_decision_mail_send

    assert template_decision_mail_send(version_id=in_review.pk, decision="rejected")
    assert "rejected" in mail.outbox[-1].subject


def test_reviewers_get_one_digest_a_day_of_what_waits(
    submitted: TemplateVersion, reviewer: User, reviewer2: User, manager: User
) -> None:
    from django.core.cache import cache

    cache.clear()  # the digest remembers in the cache who was told today
    reviewer.email, reviewer2.email, manager.email = "r1@portal.example", "", "m@acme.example"
    for user in (reviewer, reviewer2, manager):
        user.save()
    assert review_digest_send(today=date(2026, 12, 2)) == 1
    [message] = mail.outbox
    assert message.to == ["r1@portal.example"]
    assert "shipping_notice v1" in message.body and "待審核" in message.subject
    assert review_digest_send(today=date(2026, 12, 2)) == 0  # a second run the same day


def test_the_digest_is_scheduled_daily() -> None:
    from portal.celery import app

    entry = app.conf.beat_schedule["compliance-review-digest"]
    assert entry["task"] == "compliance.tasks.review_digest_task"
    assert entry["schedule"].hour == {8}


# --- Diff --------------------------------------------------------------------------------------


def test_chinese_is_compared_per_character_and_latin_per_word() -> None:
    assert tokens("訂單 A123 shipped!") == ["訂", "單", " ", "A123", " ", "shipped", "!"]
    diff = field_diff("text", "您的訂單已出貨 today", "您的訂單已寄出 tomorrow")
    assert "<del>today</del>" in diff.old_html and "<ins>tomorrow</ins>" in diff.new_html
    assert "<ins>寄</ins>" in diff.new_html and "訂單" in diff.new_html


def test_a_whitespace_only_change_is_marked() -> None:
    diff = field_diff("text", "您好，\n請忽略此訊息。", "您好，  請忽略此訊息。")
    assert diff.whitespace_only
    assert '<span class="ws">↵</span>' in diff.old_html
    assert diff.new_html.count('<span class="ws">·</span>') == 2


def test_the_diff_escapes_the_content() -> None:
    diff = field_diff("text", "a", "<script>x</script>")
    assert "<script>" not in diff.new_html and "&lt;" in diff.new_html


# --- Clauses ---------------------------------------------------------------------------------------


def test_every_rule_cites_a_clause_of_the_catalogue() -> None:
    assert {rule.code for rule in RULES} <= set(RULE_CLAUSES)
    assert set(RULE_CLAUSES.values()) <= set(CLAUSES_BY_ID)


def test_the_review_page_links_each_rule_to_its_clause(submitted: TemplateVersion, reviewer: User) -> None:
    page = client_for(reviewer).get(f"/admin/compliance/reviewqueueitem/{submitted.pk}/change/").content.decode()
    assert 'href="/admin/compliance/reviewqueueitem/clauses/#clause-next-step-related"' in page
    clauses = client_for(reviewer).get("/admin/compliance/reviewqueueitem/clauses/").content.decode()
    assert 'id="clause-next-step-related"' in clauses and "頁面內容需與通知內容相關" in clauses


def test_the_clause_catalogue_is_for_staff_of_compliance_only(finance: User) -> None:
    assert client_for(finance).get("/admin/compliance/reviewqueueitem/clauses/").status_code == 403


# --- The review page ----------------------------------------------------------------------------


def test_a_reviewer_overrules_on_the_review_page_and_sees_it_in_both_languages(
    partner_link_draft: TemplateVersion, manager: User, reviewer: User, reviewer2: User
) -> None:
    _blocked(partner_link_draft, manager)
    url = f"/admin/compliance/reviewqueueitem/{partner_link_draft.pk}/change/"
    client_for(reviewer).post(
        url,
        {
            "overrule": "LINK_DOMAIN",
            "overrule_reason-LINK_DOMAIN": "line_approved",
            "overrule_note-LINK_DOMAIN": "Post office tracking page",
        },
    )
    assert partner_link_draft.rule_results.get(rule_code="LINK_DOMAIN").is_overruled
    english = client_for(reviewer2).get(url).content.decode()
    assert "Overruled, waiting for a second reviewer" in english and 'id="confirm-LINK_DOMAIN"' in english
    chinese = client_for(reviewer2, "zh-hant").get(url).content.decode()
    assert "網域不在品牌允許清單" in chinese and "已推翻" in chinese
    client_for(reviewer2).post(url, {"confirm_overrule": "LINK_DOMAIN"})
    assert partner_link_draft.rule_results.get(rule_code="LINK_DOMAIN").overrule_confirmed_by == reviewer2


# --- Variables as rows ------------------------------------------------------------------------------


def _draft_form(draft: TemplateVersion, **extra: str) -> dict[str, object]:
    return {
        "text": draft.text,
        "flex_json": "",
        "button_label": draft.button_label,
        "button_url": draft.button_url,
        "channels": draft.channels,
        "sms_text": draft.sms_text,
        "urgency": draft.urgency,
        "sms_fallback_delay_minutes": "60",
        "_continue": "1",
        **extra,
    }


def test_the_draft_form_shows_the_variables_as_rows(draft: TemplateVersion, manager: User) -> None:
    page = client_for(manager).get(f"/admin/compliance/templateversion/{draft.pk}/change/").content.decode()
    assert 'name="variables-0-name" value="order_id"' in page
    assert 'name="variables-1-type"' in page and 'name="variables-TOTAL" value="4"' in page  # 2 rows + 2 empty


def test_variables_are_saved_from_rows_and_empty_rows_are_ignored(draft: TemplateVersion, manager: User) -> None:
    rows = {
        "variables-TOTAL": "3",
        "variables-0-name": "order_id",
        "variables-0-type": "text",
        "variables-0-max_length": "12",
        "variables-0-sample": "A1",
        "variables-1-name": "event_time",
        "variables-1-type": "datetime",
        "variables-1-max_length": "",
        "variables-1-sample": "2026-01-01 10:00",
    }
    response = client_for(manager).post(
        f"/admin/compliance/templateversion/{draft.pk}/change/", _draft_form(draft, **rows)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.variables == [
        {"name": "order_id", "type": "text", "sample": "A1", "max_length": 12},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
    ]


def test_a_bad_variable_row_gets_its_error_on_the_row_and_nothing_is_saved(
    draft: TemplateVersion, manager: User
) -> None:
    before = list(draft.variables)
    rows = {
        "variables-TOTAL": "2",
        "variables-0-name": "order_id",
        "variables-0-type": "text",
        "variables-0-max_length": "20",
        "variables-0-sample": "A1",
        "variables-1-name": "Event Time",
        "variables-1-type": "text",
        "variables-1-max_length": "0",
        "variables-1-sample": "",
    }
    response = client_for(manager).post(
        f"/admin/compliance/templateversion/{draft.pk}/change/", _draft_form(draft, **rows)
    )
    page = response.content.decode()
    assert response.status_code == 200
    row = page[page.index('data-row="1"') :]
    errors = row[: row.index("</ul>")]
    assert "Name: lower-case letters" in errors and "Max length: a whole number from 1 to 500" in errors
    assert "Sample: give a value" in errors
    assert "1 variable row(s) need a fix" in page and "Enter a valid JSON" not in page
    assert 'value="Event Time"' in page  # what was typed stays in the row
    draft.refresh_from_db()
    assert draft.variables == before


def test_a_manual_rule_is_decided_by_a_verdict_not_overruled(in_review: TemplateVersion, reviewer: User) -> None:
    with pytest.raises(TransitionNotAllowed) as error:
        rule_result_overrule(
            version=in_review, reviewer=reviewer, rule_code="BUTTON_RELATES", reason="other", note="fine"
        )
    assert error.value.code == "manual_rule"


def test_the_data_migration_gives_stored_rows_their_codes_and_leaves_unknown_texts(
    in_review: TemplateVersion,
) -> None:
    from django.apps import apps

    migration = importlib.import_module("compliance.migrations.0006_review_workflow")
    # given: rows as an earlier check stored them, text only, in either language
    rows = in_review.rule_results
    rows.filter(rule_code="LINK_HTTPS").update(message="非 https：http://a.example", message_code="", message_params={})
    rows.filter(rule_code="VAR_DEFINITION").update(
        message="x: give a sample value for the preview; y is declared twice", message_code="", message_params={}
    )
    rows.filter(rule_code="CHANNELS").update(message="an old wording", message_code="", message_params={})
    TemplateVersion.objects.filter(pk=in_review.pk).update(locked_at=None, lock_active_at=None)
    # when
    migration.findings_to_codes(apps, None)
    # then
    https = rows.get(rule_code="LINK_HTTPS")
    assert (https.message_code, https.message_params) == ("link.not_https", {"urls": "http://a.example"})
    listed = rows.get(rule_code="VAR_DEFINITION")
    assert listed.message_code == "list"
    assert listed.display_message == "x: give a sample value for the preview; y is declared twice"
    assert rows.get(rule_code="CHANNELS").message_code == ""
    in_review.refresh_from_db()
    assert in_review.locked_at == in_review.review_started_at

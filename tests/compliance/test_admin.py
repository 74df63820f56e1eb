"""The admin: who sees the queue, the review page's actions, and the author's editor."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.test import Client

from compliance.choices import TemplateStatus
from compliance.models import MessageTemplate, TemplateVersion
from portal.models import AuditEvent, Brand

QUEUE = "/admin/compliance/reviewqueueitem/"


def client_for(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def review_url(version: TemplateVersion) -> str:
    return f"{QUEUE}{version.pk}/change/"


def test_reviewers_see_the_queue_oldest_first_and_managers_do_not(
    make_template: Callable[..., MessageTemplate], manager: User, reviewer: User
) -> None:
    from compliance.services import template_submit

    first = template_submit(version=make_template(code="first").versions.get(), actor=manager)
    second = template_submit(version=make_template(code="second").versions.get(), actor=manager)
    page = client_for(reviewer).get(QUEUE).content.decode()
    assert page.index("first v1") < page.index("second v1")
    assert client_for(manager).get(QUEUE).status_code == 403
    assert first.pk and second.pk


def test_the_queue_filters_by_failed_rule(in_review: TemplateVersion, reviewer: User) -> None:
    from compliance.services import template_record_rule_result

    template_record_rule_result(
        version=in_review, reviewer=reviewer, rule_code="BUTTON_RELATES", passed=False, note="home page"
    )
    client = client_for(reviewer)
    assert "shipping_notice v1" in client.get(f"{QUEUE}?failed_rule=BUTTON_RELATES").content.decode()
    assert "shipping_notice v1" not in client.get(f"{QUEUE}?failed_rule=PROMO_WORDING").content.decode()


def test_the_review_page_shows_preview_sms_segments_and_checks(submitted: TemplateVersion, reviewer: User) -> None:
    page = client_for(reviewer).get(review_url(submitted)).content.decode()
    assert "A20260101" in page  # sample value in the LINE bubble
    assert 'id="sms-segments"' in page and "UCS-2" in page
    assert "BUTTON_RELATES" in page and "Start review" in page


def test_a_reviewer_starts_records_verdicts_and_approves_on_the_review_page(
    submitted: TemplateVersion, reviewer: User
) -> None:
    client = client_for(reviewer)
    client.post(review_url(submitted), {"action": "start"})
    submitted.refresh_from_db()
    assert submitted.locked_to == reviewer
    response = client.post(
        review_url(submitted), {"rule-BUTTON_RELATES": "pass", "note-BUTTON_RELATES": "", "decision": "approve"}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == TemplateStatus.APPROVED
    assert AuditEvent.objects.filter(action="template.rule_reviewed", data__rule="BUTTON_RELATES").exists()


def test_request_changes_without_a_reason_is_refused_with_a_message(in_review: TemplateVersion, reviewer: User) -> None:
    response = client_for(reviewer).post(review_url(in_review), {"decision": "changes"}, follow=True)
    assert "Choose at least one reason" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == TemplateStatus.IN_REVIEW


def test_the_author_cannot_review_through_the_page(submitted: TemplateVersion, manager: User) -> None:
    response = client_for(manager).post(review_url(submitted), {"action": "start"})
    assert response.status_code == 403


def test_reviewers_read_versions_but_cannot_edit_them(draft: TemplateVersion, reviewer: User) -> None:
    client = client_for(reviewer)
    url = f"/admin/compliance/templateversion/{draft.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"text": "changed"}).status_code == 403


def test_account_managers_see_only_their_brands_templates(
    draft: TemplateVersion, other_manager: User, manager: User
) -> None:
    assert "shipping_notice" not in client_for(other_manager).get("/admin/compliance/messagetemplate/").content.decode()
    assert client_for(other_manager).get(f"/admin/compliance/templateversion/{draft.pk}/change/").status_code == 302
    assert "shipping_notice" in client_for(manager).get("/admin/compliance/messagetemplate/").content.decode()


def test_finance_has_no_access_to_templates(draft: TemplateVersion, finance: User) -> None:
    assert client_for(finance).get("/admin/compliance/messagetemplate/").status_code == 403
    assert client_for(finance).get(QUEUE).status_code == 403


def test_an_author_creates_a_template_edits_the_draft_and_submits(
    brand: Brand, manager: User, link_domain: object
) -> None:
    client = client_for(manager)
    response = client.post(
        "/admin/compliance/messagetemplate/add/",
        {
            "brand": brand.pk,
            "code": "refund_done",
            "name": "Refund",
            "use_case": "payment_completed",
            "language": "zh-hant",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    version = TemplateVersion.objects.get(template__code="refund_done")
    assert response.status_code == 302 and response["Location"].endswith(f"/templateversion/{version.pk}/change/")
    url = f"/admin/compliance/templateversion/{version.pk}/change/"
    form = {
        "text": "您的訂單 {order_id} 已於 {event_time} 退款完成。\r\nRefund done.",
        "flex_json": "",
        "variables": '[{"name": "order_id", "type": "text", "max_length": 20, "sample": "A1"},'
        ' {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"}]',
        "button_label": "",
        "button_url": "",
        "channels": ["pnp"],
        "sms_text": "",
        "urgency": "a_day",
        "sms_fallback_delay_minutes": "",
        "_submit_for_review": "1",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == TemplateStatus.SUBMITTED and version.text.startswith("您的訂單")
    assert "\r" not in version.text  # browsers post CRLF
    assert version.flex_json is None


def test_bad_variables_json_gets_a_clear_error(draft: TemplateVersion, manager: User) -> None:
    url = f"/admin/compliance/templateversion/{draft.pk}/change/"
    response = client_for(manager).post(url, {"text": "x", "variables": '{"name": "x"}', "urgency": "a_day"})
    assert response.status_code == 200
    assert "Give a list of objects" in response.content.decode()


def test_editing_an_approved_version_in_the_admin_creates_a_new_draft(approved: TemplateVersion, manager: User) -> None:
    url = f"/admin/compliance/templateversion/{approved.pk}/change/"
    response = client_for(manager).post(url, {"_new_version": "1"})
    new = TemplateVersion.objects.get(template=approved.template, number=2)
    assert response["Location"].endswith(f"/templateversion/{new.pk}/change/")
    assert new.status == TemplateStatus.DRAFT and new.text == approved.text


def test_the_review_page_speaks_traditional_chinese(submitted: TemplateVersion, reviewer: User) -> None:
    page = client_for(reviewer).get(review_url(submitted), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "開始審核（鎖定給我）" in page and "規範檢查" in page


def test_the_review_page_shows_the_diff_against_the_approved_version(
    approved: TemplateVersion, manager: User, reviewer: User
) -> None:
    from compliance.services import template_new_version, template_submit

    new = template_new_version(template=approved.template, author=manager, text=approved.text.replace("出貨", "寄出"))
    template_submit(version=new, actor=manager)
    page = client_for(reviewer).get(review_url(new)).content.decode()
    assert 'class="tpl-diff"' in page and "Changes since approved version 1" in page
    # a word-level diff: the changed characters are marked, not the whole line
    assert "<ins>寄</ins>" in page and "<del>貨</del>" in page


def test_the_reviewer_rechecks_with_a_term_added_after_submission(in_review: TemplateVersion, reviewer: User) -> None:
    from compliance.models import PromotionalTerm

    PromotionalTerm.objects.create(term="出貨")
    client_for(reviewer).post(review_url(in_review), {"action": "recheck"})
    assert in_review.rule_results.get(rule_code="PROMO_WORDING").passed is False


def test_the_use_case_of_an_approved_template_is_read_only(approved: TemplateVersion, manager: User) -> None:
    page = client_for(manager).get(f"/admin/compliance/messagetemplate/{approved.template_id}/change/").content.decode()
    assert 'name="name"' in page and 'name="use_case"' not in page


def test_an_author_finds_the_line_template_kind_and_its_fields_on_the_draft_page(
    draft: TemplateVersion, manager: User
) -> None:
    page = client_for(manager).get(f"/admin/compliance/templateversion/{draft.pk}/change/")

    assert page.status_code == 200
    body = page.content.decode()
    for name in ("kind", "line_template_key", "emphasized_item_key", "emphasized_item", "line_items", "line_buttons"):
        assert f'name="{name}"' in body, name
    # and the limits are field errors of that page's form
    from compliance.forms import TemplateVersionForm
    from tests.compliance.test_line_templates import LINE_TEMPLATE_CONTENT

    data = {
        **{k: v for k, v in LINE_TEMPLATE_CONTENT.items() if k not in ("line_items", "line_buttons", "variables")},
        "emphasized_item": "一二三四五六七八九十一二三四五六",  # 16 characters
        "line_items": '[{"key": "number_001_ja", "value": "訂單"}]',
        "line_buttons": "[]",
        "variables": "[]",
        "sms_fallback_delay_minutes": "",
    }
    form = TemplateVersionForm(data=data, instance=draft)
    assert not form.is_valid()
    assert "emphasized_item" in form.errors

"""Copy checked ahead: the check_copy command and the admin's copy-check page."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from compliance.models import AllowedPhrase
from portal.models import AuditEvent, Brand

PAGE = "/admin/compliance/copycheck/"


def run(path: Path, *args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("check_copy", str(path), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_check_copy_prints_one_json_object_per_message_line(tmp_path: Path, brand: Brand) -> None:
    # given
    copy = tmp_path / "copy.txt"
    copy.write_text(
        "您的包裹已以限時掛號寄出\n\n第二杯半價，揪朋友一起來\n訂單已出貨，另享會員折扣\n", encoding="utf-8"
    )
    # when
    rows = run(copy, "--brand", brand.slug)
    # then
    assert [(row["line"], row["verdict"], row["advertising"]) for row in rows] == [
        (1, "pass", False),
        (3, "block", True),
        (4, "review", True),
    ]
    finding = rows[1]["findings"][0]  # type: ignore[index]
    assert finding["code"] == "ad.discount" and finding["clause"] == "pnp.no_advertising"
    assert finding["evidence"] == {"text": "第二杯半價", "start": 0, "end": 5}


def test_check_copy_weighs_the_use_case(tmp_path: Path, brand: Brand) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text("繳費期限倒數 3 天\n", encoding="utf-8")
    assert run(copy, "--brand", brand.slug)[0]["verdict"] == "review"
    assert run(copy, "--brand", brand.slug, "--use-case", "payment_due")[0]["verdict"] == "pass"


def test_check_copy_refuses_an_unknown_brand_and_a_bad_file(tmp_path: Path, brand: Brand) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text("sale\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No brand with slug 'nope'"):
        run(copy, "--brand", "nope")
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.txt", "--brand", brand.slug)
    big5 = tmp_path / "big5.txt"
    big5.write_bytes(b"ok\n" + "全館五折".encode("big5"))
    with pytest.raises(CommandError, match="line 2 is not UTF-8"):
        run(big5, "--brand", brand.slug)


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_a_reviewer_or_manager_sees_the_findings_marked_in_the_pasted_copy(
    role: str, request: pytest.FixtureRequest
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    page = client.post(
        PAGE, {"text": "本週<b>會員日</b>全館85折", "use_case": ""}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Check copy for advertising" in page
    assert '<mark class="cc-block" data-codes="ad.discount"' in page
    assert "&lt;b&gt;" in page and "<b>會員日" not in page  # the copy is escaped, never rendered as HTML
    assert ">85折</mark>" in page
    assert "pnp.no_advertising" in page and "不可傳送以營利/廣告為目的之訊息" in page


def test_the_copy_check_page_speaks_traditional_chinese(reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    page = client.post(PAGE, {"text": "限時特價"}, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "檢查文案是否為廣告" in page and "<mark" in page


def test_over_long_copy_on_the_page_is_refused_naming_the_limit(reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    response = client.post(PAGE, {"text": "字" * 5001}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert "<mark" not in response.content.decode()


def test_finance_may_not_open_the_copy_check_page(finance: User) -> None:
    client = Client()
    client.force_login(finance)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"text": "sale"}).status_code == 403


def test_an_allowed_phrase_added_in_the_admin_is_audited(reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:compliance_allowedphrase_add"), {"phrase": " 限時快捷 ", "note": "post", "is_active": "on"}
    )
    assert response.status_code == 302
    phrase = AllowedPhrase.objects.get(phrase="限時快捷")
    event = AuditEvent.objects.get(action="allowed_phrase.created")
    assert event.object_id == str(phrase.pk) and event.data["phrase"] == "限時快捷"
    assert (
        client.post(reverse("admin:compliance_allowedphrase_delete", args=[phrase.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_a_term_severity_changed_in_the_admin_is_audited(reviewer: User) -> None:
    from compliance.models import PromotionalTerm

    term = PromotionalTerm.objects.get(term="特價")
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:compliance_promotionalterm_change", args=[term.pk]),
        {"term": "特價", "severity": "review", "note": term.note, "is_active": "on"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="promotional_term.updated")
    assert event.data["severity"] == "review" and event.data["fields"] == ["severity"]

"""Exports never hand a spreadsheet a formula: members, consents and the confirm-phone CSV, in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from members.models import Member
from members.services import member_flag_phone_unreachable
from portal.exports import formula_safe
from tests.conftest import PASSWORD

HOSTILE_NAMES = ["+1+1", "-1+1", "@SUM(1)", "==1+1", '=HYPERLINK("https://evil.example","x")']


@pytest.mark.parametrize("name", [*HOSTILE_NAMES, "\t=1", "\r=1", "-1\t"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(name: str) -> None:
    assert formula_safe(name) == "'" + name


@pytest.mark.parametrize("value", ["-5", "+886912345678", "12.5", "王小明", "", "a=b", 3, None])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert formula_safe(value) == value


def _format_index(page_content: bytes, label: str) -> str:
    # The export form lists formats as <option value="N">label</option>.
    text = page_content.decode()
    marker = f">{label}</option>"
    head = text[: text.index(marker)]
    return head[head.rindex('value="') + 7 :].split('"', 1)[0]


@pytest.fixture
def hostile_members(make_member: Callable[..., Member]) -> list[Member]:
    return [make_member(f"H{i}", f"0912-000-{i:03d}", name=name) for i, name in enumerate(HOSTILE_NAMES)]


@pytest.mark.parametrize("label", ["csv", "xlsx"])
def test_the_member_export_writes_hostile_names_as_text(
    client: Client, manager: User, hostile_members: list[Member], label: str
) -> None:
    assert client.login(username=manager.username, password=PASSWORD)
    page = client.get("/admin/members/member/export/")
    fmt = _format_index(page.content, label)
    response = client.post(
        "/admin/members/member/export/",
        {"format": fmt, "resource": "0", "memberresource_external_id": "on", "memberresource_name": "on"},
    )
    assert response.status_code == 200
    if label == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        names = {row[1] for row in rows[1:]}
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [row[1] for row in sheet.iter_rows(min_row=2)]
        assert all(cell.data_type != "f" for cell in cells)
        names = {cell.value for cell in cells}
    assert names == {"'" + name for name in HOSTILE_NAMES}


def test_the_confirm_phone_action_writes_hostile_names_as_text(
    client: Client, manager: User, hostile_members: list[Member]
) -> None:
    for member in hostile_members:
        member_flag_phone_unreachable(member=member, reason="=cmd|' /C calc'!A0", actor="test")  # type: ignore[arg-type]
    assert client.login(username=manager.username, password=PASSWORD)
    response = client.post(
        "/admin/members/member/",
        {"action": "export_to_confirm", "_selected_action": [m.pk for m in hostile_members]},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert {row[2] for row in rows} == {"'" + name for name in HOSTILE_NAMES}
    assert {row[5] for row in rows} == {"'=cmd|' /C calc'!A0"}

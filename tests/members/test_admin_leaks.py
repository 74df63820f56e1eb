"""Finance and other brands' managers never reach members, consents or import reports."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from members.models import ImportJob, Member
from members.services import consent_record
from portal.models import Brand
from tests.conftest import PASSWORD


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("url", ["/admin/members/member/export/", "/admin/members/consent/export/"])
def test_finance_can_neither_open_nor_post_the_member_and_consent_exports(
    client: Client, finance: User, make_member: Callable[..., Member], url: str
) -> None:
    member = make_member()
    consent_record(
        member=member,
        purpose="pnp_notification",
        granted=True,
        source="web_form",
        evidence="form #1",
        notice_version="v1",
        actor="test",  # type: ignore[arg-type]
    )
    login(client, finance)
    assert client.get(url).status_code == 403
    response = client.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 403
    assert b"M001" not in response.content


def test_finance_cannot_download_an_import_report(
    client: Client, manager: User, finance: User, brand: Brand, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("external_id,name,phone\nI2,Bad,0912-34-567\n", encoding="utf-8")
    login(client, manager)
    with path.open("rb") as handle:
        client.post("/admin/members/member/import-file/", {"brand": brand.pk, "file": handle})
    job = ImportJob.objects.get()
    assert job.report_file
    client.logout()
    login(client, finance)
    assert client.get(f"/admin/members/importjob/{job.pk}/report/").status_code == 403


def test_a_manager_exports_only_their_brands_members(
    client: Client, manager: User, other_brand: Brand, make_member: Callable[..., Member]
) -> None:
    make_member("MINE")
    make_member("THEIRS", "0933111222", in_brand=other_brand)
    login(client, manager)
    response = client.post(
        "/admin/members/member/export/",
        {"format": "0", "resource": "0", "memberresource_external_id": "on", "memberresource_name": "on"},
    )
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode("utf-8-sig")
    assert "MINE" in text and "THEIRS" not in text


def test_a_refused_consent_form_does_not_show_another_brands_member(
    client: Client, manager: User, other_brand: Brand, make_member: Callable[..., Member]
) -> None:
    theirs = make_member("THEIRS-007", "0933111222", in_brand=other_brand)
    login(client, manager)
    response = client.post(
        "/admin/members/consent/add/",
        {
            "member": theirs.pk,
            "purpose": "pnp_notification",
            "granted": "on",
            "source": "admin",
            "evidence": "call",
            "notice_version": "v1",
            "captured_at_0": "2026-11-30",
            "captured_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200  # the form is shown again with the error
    body = response.content.decode()
    assert "THEIRS-007" not in body
    assert f"/admin/members/member/{theirs.pk}/change/" not in body
    assert "0933" not in body and "+886933" not in body

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import ImportJob, Member
from members.services import member_flag_phone_unreachable
from portal.models import Brand
from tests.conftest import PASSWORD

LIST = "/admin/members/member/"


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_member_list_masks_phone_numbers(client: Client, manager: User, make_member: Callable[..., Member]) -> None:
    make_member()
    body = login(client, manager).get(LIST).content.decode()
    assert "0912-***-678" in body
    assert "912345678" not in body


def test_the_full_number_is_shown_to_the_brands_manager_but_masked_for_a_reviewer(
    client: Client, manager: User, reviewer: User, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    url = f"{LIST}{member.pk}/change/"
    assert "+886912345678" in login(client, manager).get(url).content.decode()
    client.logout()
    body = login(client, reviewer).get(url).content.decode()
    assert "0912-***-678" in body
    assert "912345678" not in body


def test_another_managers_member_is_404_and_not_listed(
    client: Client, manager: User, other_manager: User, other_brand: Brand, make_member: Callable[..., Member]
) -> None:
    theirs = make_member("THEIRS", in_brand=other_brand)
    login(client, manager)
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code in (302, 404)
    assert "THEIRS" not in client.get(LIST).content.decode()
    assert "THEIRS" not in client.get(LIST, {"q": "0912345678"}).content.decode()


def test_finance_cannot_open_the_member_list(client: Client, finance: User) -> None:
    assert login(client, finance).get(LIST).status_code == 403


def test_phone_search_finds_the_member_by_any_format_with_an_exact_lookup(
    transactional_db: None, client: Client, superuser: User, make_member: Callable[..., Member]
) -> None:
    # transactional_db: outside a test transaction, as in production (no savepoint queries)
    make_member("FOUND", "0912345678")
    make_member("OTHER", "0933111222")
    login(client, superuser)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(LIST, {"q": "+886 912-345-678"}).content.decode()
    assert "FOUND" in body and "OTHER" not in body
    assert not any("UPPER" in q["sql"] or "LIKE" in q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) <= 10, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def test_a_superusers_member_number_search_finds_the_member_in_every_brand_through_an_index(
    client: Client, superuser: User, other_brand: Brand, make_member: Callable[..., Member]
) -> None:
    # given the same member number in two brands
    make_member("A-1001", "0912345678")
    make_member("A-1001", "0933111222", in_brand=other_brand)
    make_member("A-1002", "0933111333")
    login(client, superuser)
    # when
    with CaptureQueriesContext(connection) as queries:
        body = client.get(LIST, {"q": "A-1001"}).content.decode()
    # then both are listed, the other number is not
    assert body.count("A-1001") >= 2 and "A-1002" not in body
    assert "0933-***-222" in body and "0912-***-678" in body
    if connection.vendor == "postgresql":
        # and the lookup without a brand can use the member-number index
        search = next(q["sql"] for q in queries.captured_queries if "'A-1001'" in q["sql"] and "LIMIT" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {search}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "member_external_id_idx" in plan, plan


def test_the_member_list_draws_rows_as_djangos_own_widgets_would_without_loading_brand_credentials(
    client: Client, superuser: User, make_member: Callable[..., Member]
) -> None:
    # given
    member = make_member("M-ROW", "0912345678")
    login(client, superuser)
    # when
    with CaptureQueriesContext(connection) as queries:
        body = client.get(LIST).content.decode()
    # then the selection box, the change link and the yes/no/unknown icons are Django's markup
    model_admin = django_admin.site._registry[Member]
    assert str(django_admin.ModelAdmin.action_checkbox(model_admin, member)) in body
    assert f'href="{reverse("admin:members_member_change", args=[member.pk])}"' in body
    assert '<img src="/static/admin/img/icon-unknown.svg" alt="None">' in body
    assert "0912-***-678" in body and "Mobile" in body
    # and the page query leaves the brand's LINE credentials in the database
    page = next(q["sql"] for q in queries.captured_queries if '"members_member"."phone_e164"' in q["sql"])
    assert '"portal_brand"."name"' in page
    assert "channel_secret" not in page and "channel_access_token" not in page


@pytest.mark.parametrize(
    "query", [{}, {"pnp_consent__exact": "1"}, {"needs_phone_confirmation__exact": "1"}, {"line": "bound_friend"}]
)
def test_each_list_page_takes_at_most_ten_queries(
    transactional_db: None, client: Client, manager: User, make_member: Callable[..., Member], query: dict[str, str]
) -> None:
    # transactional_db: outside a test transaction, as in production (no savepoint queries)
    for n in range(5):
        make_member(f"M{n}", f"091234567{n}")
    login(client, manager)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, query).status_code == 200
    assert len(queries.captured_queries) <= 10, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def test_export_to_confirm_lists_only_flagged_members(
    client: Client, manager: User, make_member: Callable[..., Member]
) -> None:
    flagged = make_member("FLAGGED", "0912345678")
    make_member("FINE", "0933111222")
    member_flag_phone_unreachable(member=flagged, reason="LINE 422")
    login(client, manager)
    response = client.post(
        LIST, {"action": "export_to_confirm", "_selected_action": list(Member.objects.values_list("pk", flat=True))}
    )
    text = response.content.decode("utf-8-sig")
    assert "FLAGGED" in text and "FINE" not in text
    assert "+886912345678" in text  # the brand's own manager follows up by phone


def test_a_manager_imports_a_small_file_and_sees_the_result(
    client: Client, manager: User, brand: Brand, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("external_id,name,phone\nI1,王小明,0912345678\nI2,Bad,0912-34-567\n", encoding="utf-8")
    login(client, manager)
    with path.open("rb") as handle:
        response = client.post(f"{LIST}import-file/", {"brand": brand.pk, "file": handle})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")
    assert (job.status, job.created_count, job.rejected_count) == ("done", 1, 1)
    page = client.get(response["Location"]).content.decode()
    assert "Download the rejected rows" in page
    report = client.get(f"/admin/members/importjob/{job.pk}/report/")
    assert b"too short for a Taiwanese mobile number" in b"".join(report.streaming_content)  # type: ignore[attr-defined]


def test_a_manager_cannot_import_into_another_brand(
    client: Client, manager: User, other_brand: Brand, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("external_id,name,phone\nI1,A,0912345678\n", encoding="utf-8")
    login(client, manager)
    with path.open("rb") as handle:
        response = client.post(f"{LIST}import-file/", {"brand": other_brand.pk, "file": handle})
    assert response.status_code == 200  # the form shows the error
    assert not ImportJob.objects.exists()


def test_another_managers_import_report_is_404(
    client: Client, manager: User, other_manager: User, other_brand: Brand, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("external_id,name,phone\nI2,Bad,0912-34-567\n", encoding="utf-8")
    login(client, other_manager)
    with path.open("rb") as handle:
        client.post(f"{LIST}import-file/", {"brand": other_brand.pk, "file": handle})
    job = ImportJob.objects.get()
    client.logout()
    login(client, manager)
    assert client.get(f"/admin/members/importjob/{job.pk}/report/").status_code == 404


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"evidence": "", "notice_version": "2026-11"}, "evidence"),
        ({"evidence": "call #7", "notice_version": ""}, "notice_version"),
    ],
)
def test_a_consent_recorded_in_the_admin_needs_its_evidence_and_a_grant_its_notice_version(
    client: Client, manager: User, make_member: Callable[..., Member], fields: dict, error_field: str
) -> None:
    member = make_member()
    login(client, manager)
    response = client.post(
        "/admin/members/consent/add/",
        {
            "member": member.pk,
            "purpose": "pnp_notification",
            "granted": "on",
            "source": "admin",
            "captured_at_0": "2026-11-30",
            "captured_at_1": "10:00:00",
            **fields,
        },
    )
    assert response.status_code == 200
    assert error_field in response.context["adminform"].form.errors
    assert not member.consents.exists()

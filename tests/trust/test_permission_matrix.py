"""The permission matrix: every admin list and add page, every object page across brands, every API
operation, as each actor. The expected answer of each cell is written here; an admin or an API
route this file does not list fails the test, so a new one must be given its row.

Actors: anonymous, compliance reviewer, account manager of brand A, finance, superuser (admin);
anonymous, brand A's key, brand B's key, a staff session (API). 302 for anonymous is the login
redirect; 403 is "your role may not"; another brand's object is not found (the admin redirects
to its index with a message: 302; the API answers 404).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from members.models import Member
from members.services import consent_record, member_upsert
from portal.models import Brand, BrandAPIKey
from portal.services import api_key_create

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reviewer", "manager", "finance", "superuser")

# (admin, page) -> status for (anonymous, reviewer, manager of A, finance, superuser).
ADMIN_PAGES: dict[tuple[str, str], tuple[int, ...]] = {
    ("applications_application", "changelist"): (302, 200, 200, 403, 200),
    ("applications_application", "add"): (302, 403, 200, 403, 200),
    ("applications_calendaroverride", "changelist"): (302, 200, 200, 403, 200),
    ("applications_calendaroverride", "add"): (302, 403, 200, 403, 200),
    # Technology partners are shared reference data (no brand): managers keep the catalogue.
    ("applications_technologypartner", "changelist"): (302, 200, 200, 403, 200),
    ("applications_technologypartner", "add"): (302, 403, 200, 403, 200),
    ("auth_group", "changelist"): (302, 403, 403, 403, 200),
    ("auth_group", "add"): (302, 403, 403, 403, 200),
    ("auth_user", "changelist"): (302, 403, 403, 403, 200),
    ("auth_user", "add"): (302, 403, 403, 403, 200),
    ("axes_accessattempt", "changelist"): (302, 403, 403, 403, 200),
    ("axes_accessattempt", "add"): (302, 403, 403, 403, 403),
    ("axes_accessfailurelog", "changelist"): (302, 403, 403, 403, 200),
    ("axes_accessfailurelog", "add"): (302, 403, 403, 403, 403),
    ("axes_accesslog", "changelist"): (302, 403, 403, 403, 200),
    ("axes_accesslog", "add"): (302, 403, 403, 403, 403),
    # Reviewers watch delivery quality, managers their brands', finance the cost.
    ("billing_dashboard", "changelist"): (302, 200, 200, 200, 200),
    ("billing_linedailycount", "changelist"): (302, 403, 403, 200, 200),
    ("billing_linedailycount", "add"): (302, 403, 403, 403, 403),
    ("billing_statement", "changelist"): (302, 403, 200, 200, 200),
    ("billing_statement", "add"): (302, 403, 403, 403, 403),
    # A brand's billing profile is kept by its account manager and read by finance;
    # LINE's invoice is recorded by finance alone.
    ("billing_billingprofile", "changelist"): (302, 403, 200, 200, 200),
    ("billing_billingprofile", "add"): (302, 403, 200, 403, 200),
    ("billing_lineinvoice", "changelist"): (302, 403, 403, 200, 200),
    ("billing_lineinvoice", "add"): (302, 403, 403, 200, 200),
    ("billing_unitprice", "changelist"): (302, 403, 403, 200, 200),
    ("billing_unitprice", "add"): (302, 403, 403, 200, 200),
    ("binding_bindingsettings", "changelist"): (302, 200, 200, 403, 200),
    ("binding_bindingsettings", "add"): (302, 403, 200, 403, 200),
    ("binding_welcomemessage", "changelist"): (302, 200, 200, 403, 200),
    ("binding_welcomemessage", "add"): (302, 403, 403, 403, 403),
    ("compliance_allowedphrase", "changelist"): (302, 200, 403, 403, 200),
    ("compliance_allowedphrase", "add"): (302, 200, 403, 403, 200),
    ("compliance_brandlinkdomain", "changelist"): (302, 200, 200, 403, 200),
    ("compliance_brandlinkdomain", "add"): (302, 200, 403, 403, 200),
    # Copy checked ahead: whoever writes or reviews templates.
    ("compliance_copycheck", "changelist"): (302, 200, 200, 403, 200),
    ("compliance_messagetemplate", "changelist"): (302, 200, 200, 403, 200),
    ("compliance_messagetemplate", "add"): (302, 403, 200, 403, 200),
    ("compliance_promotionalterm", "changelist"): (302, 200, 403, 403, 200),
    ("compliance_promotionalterm", "add"): (302, 200, 403, 403, 200),
    ("compliance_reviewqueueitem", "changelist"): (302, 200, 403, 403, 200),
    ("compliance_reviewqueueitem", "add"): (302, 403, 403, 403, 403),
    ("compliance_sendviolation", "changelist"): (302, 200, 200, 403, 200),
    ("compliance_sendviolation", "add"): (302, 403, 403, 403, 403),
    ("compliance_templateversion", "changelist"): (302, 200, 200, 403, 200),
    ("compliance_templateversion", "add"): (302, 403, 403, 403, 403),
    ("members_consent", "changelist"): (302, 200, 200, 403, 200),
    ("members_consent", "add"): (302, 403, 200, 403, 200),
    ("members_importjob", "changelist"): (302, 200, 200, 403, 200),
    ("members_importjob", "add"): (302, 403, 403, 403, 403),
    ("members_member", "changelist"): (302, 200, 200, 403, 200),
    ("members_member", "add"): (302, 403, 200, 403, 200),
    ("notifications_notification", "changelist"): (302, 200, 200, 200, 200),
    ("notifications_notification", "add"): (302, 403, 403, 403, 403),
    ("notifications_smsaccount", "changelist"): (302, 403, 200, 200, 200),
    ("notifications_smsaccount", "add"): (302, 403, 200, 403, 200),
    ("notifications_webhookevent", "changelist"): (302, 403, 200, 403, 200),
    ("notifications_webhookevent", "add"): (302, 403, 403, 403, 403),
    # Delivery alerts: the brand's account manager is told and sets its thresholds; a crossing is a record.
    ("notifications_alertcrossing", "changelist"): (302, 403, 200, 403, 200),
    ("notifications_alertcrossing", "add"): (302, 403, 403, 403, 403),
    ("notifications_brandalertthresholds", "changelist"): (302, 403, 200, 403, 200),
    ("notifications_brandalertthresholds", "add"): (302, 403, 200, 403, 200),
    ("portal_auditevent", "changelist"): (302, 200, 200, 403, 200),
    ("portal_auditevent", "add"): (302, 403, 403, 403, 403),
    ("portal_brand", "changelist"): (302, 200, 200, 200, 200),
    ("portal_brand", "add"): (302, 403, 403, 403, 200),
    ("portal_brandapikey", "changelist"): (302, 403, 200, 403, 200),
    ("portal_brandapikey", "add"): (302, 403, 200, 403, 200),
    # Exports: only roles that may view the rows, and only their brands' rows.
    ("members_member", "export"): (302, 200, 200, 403, 200),
    ("members_consent", "export"): (302, 200, 200, 403, 200),
    ("applications_application", "export"): (302, 200, 200, 403, 200),
}


def _registered_pages() -> set[tuple[str, str]]:
    pages = set()
    for model in admin.site._registry:
        name = f"{model._meta.app_label}_{model._meta.model_name}"
        for page in ("changelist", "add", "export"):
            try:
                reverse(f"admin:{name}_{page}")
            except NoReverseMatch:
                continue
            pages.add((name, page))
    return pages


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_admin_list_add_and_export_page_has_its_row() -> None:
    assert _registered_pages() == set(ADMIN_PAGES)


@pytest.mark.parametrize("page", sorted(ADMIN_PAGES), ids=lambda p: f"{p[0]}:{p[1]}")
def test_each_role_gets_the_expected_answer_from_each_admin_page(
    page: tuple[str, str], request: pytest.FixtureRequest, brand: Brand
) -> None:
    users = {role: None if role == "anonymous" else request.getfixturevalue(role) for role in ROLES}
    url = reverse(f"admin:{page[0]}_{page[1]}")
    got = tuple(_client(users[role]).get(url).status_code for role in ROLES)
    assert got == ADMIN_PAGES[page], dict(zip(ROLES, got, strict=True))


@pytest.fixture
def brand_a_objects(brand: Brand) -> dict[str, object]:
    member = member_upsert(brand=brand, external_id="A-1", name="王小明", phone="0912345678", actor="test")[0]
    consent = consent_record(
        member=member,
        purpose="pnp_notification",
        granted=True,
        source="web_form",
        evidence="form #1",
        notice_version="2026-11",
        actor="test",
    )
    api_key = api_key_create(brand=brand, name="ERP", actor="test")[0]
    return {
        "portal_brand": brand,
        "portal_brandapikey": api_key,
        "members_member": member,
        "members_consent": consent,
    }


# Brand A's object pages: (admin) -> status for (manager of A, manager of B, finance, reviewer).
OBJECT_PAGES: dict[str, tuple[int, ...]] = {
    "portal_brand": (200, 302, 200, 200),
    "portal_brandapikey": (200, 302, 403, 403),
    "members_member": (200, 302, 403, 200),
    "members_consent": (200, 302, 403, 200),
}


@pytest.mark.parametrize("name", sorted(OBJECT_PAGES))
def test_another_brands_object_is_not_found_and_each_role_gets_its_answer(
    name: str,
    brand_a_objects: dict[str, object],
    manager: User,
    other_manager: User,
    finance: User,
    reviewer: User,
) -> None:
    obj = brand_a_objects[name]
    url = reverse(f"admin:{name}_change", args=[obj.pk])  # type: ignore[attr-defined]
    got = tuple(_client(user).get(url).status_code for user in (manager, other_manager, finance, reviewer))
    assert got == OBJECT_PAGES[name]
    page = _client(other_manager).get(url, follow=True).content.decode()
    # The "not found" message repeats the id asked for; an API key's id is a random hash that
    # may itself hold the digits 0912, so the id is taken out before looking for the member.
    page = page.replace(str(obj.pk), "")  # type: ignore[attr-defined]
    assert "0912" not in page and "王小明" not in page


def test_an_id_of_another_brands_member_in_a_form_is_refused_without_naming_it(
    brand_a_objects: dict[str, object], other_manager: User
) -> None:
    member: Member = brand_a_objects["members_member"]  # type: ignore[assignment]
    response = _client(other_manager).post(
        reverse("admin:members_consent_add"),
        {
            "member": member.pk,
            "purpose": "pnp_notification",
            "granted": "on",
            "source": "admin",
            "evidence": "x",
            "notice_version": "v1",
            "captured_at_0": "2026-11-30",
            "captured_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "member" in response.context["adminform"].form.errors
    assert "A-1" not in response.content.decode()


# --- The API ------------------------------------------------------------------------------------------

# (method, path) -> status for (anonymous, brand A's key, brand B's key, a staff session). Brand A owns
# member A-1 and template shipping_notice; B's key must never reach them.
API_OPERATIONS: dict[tuple[str, str], tuple[int, ...]] = {
    ("get", "/api/v1/brands"): (401, 200, 200, 200),
    ("get", "/api/v1/brands/acme"): (401, 200, 404, 200),
    ("get", "/api/v1/members/A-1"): (401, 200, 404, 403),
    ("put", "/api/v1/members/A-1"): (401, 200, 201, 403),  # B's key makes B's own A-1
    ("get", "/api/v1/members/A-1/consents"): (401, 200, 404, 403),
    ("post", "/api/v1/members/A-1/consents"): (401, 400, 404, 403),
    ("post", "/api/v1/members/A-1/line-binding"): (401, 400, 404, 403),
    ("delete", "/api/v1/members/A-1/line-binding"): (401, 204, 404, 403),
    ("post", "/api/v1/members/A-1/line-binding/otp"): (401, 422, 404, 403),
    ("delete", "/api/v1/members/A-1"): (401, 204, 404, 403),
    ("get", "/api/v1/templates"): (401, 200, 200, 403),
    ("get", "/api/v1/templates/shipping_notice"): (401, 404, 404, 403),
    # the template is looked up first, as a send does (it is not approved yet: 404, as the GET above)
    ("post", "/api/v1/templates/shipping_notice/check"): (401, 404, 404, 403),
    ("get", "/api/v1/notifications"): (401, 200, 200, 200),
    ("post", "/api/v1/copy-checks"): (401, 400, 400, 403),  # no text: 400
    ("post", "/api/v1/notifications"): (401, 400, 400, 403),
    ("post", "/api/v1/notifications/batch"): (401, 400, 400, 403),
    ("get", "/api/v1/notifications/999999"): (401, 404, 404, 404),
}


def test_every_api_operation_has_its_row() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    values = {"{external_id}": "A-1", "{code}": "shipping_notice", "{id}": "999999", "{slug}": "acme"}
    documented = set()
    for path, operations in schema["paths"].items():
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
        documented |= {(method, path) for method in operations}
    assert documented == set(API_OPERATIONS)


@pytest.mark.parametrize("operation", list(API_OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_each_actor_gets_the_expected_answer_from_each_api_operation(
    operation: tuple[str, str],
    brand: Brand,
    other_brand: Brand,
    api_key_for: Callable[[Brand], str],
    superuser: User,
) -> None:
    member_upsert(brand=brand, external_id="A-1", name="A", phone="0912345678", actor="test")
    method, path = operation
    body = {"name": "B", "phone": "0933111222"} if method == "put" else {}
    clients = [APIClient(), APIClient(), APIClient(), APIClient()]
    clients[1].credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(brand)}")
    clients[2].credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_brand)}")
    clients[3].force_login(superuser)
    got = tuple(getattr(client, method)(path, body, format="json").status_code for client in clients)
    assert got == API_OPERATIONS[operation]
    assert BrandAPIKey.objects.count() == 2

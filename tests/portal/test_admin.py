import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from portal.models import AuditEvent, Brand, BrandAPIKey
from portal.services import audit_record


def test_the_brand_admin_never_renders_credentials(superuser: User, brand: Brand) -> None:
    client = Client()
    client.force_login(superuser)
    page = client.get(f"/admin/portal/brand/{brand.pk}/change/").content.decode()
    assert "acme-access-token" not in page
    assert "acme-channel-secret" not in page
    assert "gAAAAA" not in page
    assert "token stored" in page or "已儲存" in page


def test_a_new_access_token_entered_in_the_admin_replaces_the_stored_one(superuser: User, brand: Brand) -> None:
    client = Client()
    client.force_login(superuser)
    response = client.post(
        f"/admin/portal/brand/{brand.pk}/change/",
        {
            "name": brand.name,
            "slug": brand.slug,
            "is_active": "on",
            "account_type": brand.account_type,
            "legal_entity_type": brand.legal_entity_type,
            "application_path": brand.application_path,
            "line_channel_id": brand.line_channel_id,
            "new_channel_access_token": "rotated-token-value",
            "new_channel_secret": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    brand.refresh_from_db()
    assert brand.channel_access_token.reveal() == "rotated-token-value"
    assert brand.channel_secret.reveal() == "acme-channel-secret"  # blank keeps the old one


def test_an_account_manager_cannot_open_another_managers_brand(
    manager: User, brand: Brand, other_brand: Brand, other_manager: User
) -> None:
    client = Client()
    client.force_login(manager)
    assert client.get(f"/admin/portal/brand/{brand.pk}/change/").status_code == 200
    response = client.get(f"/admin/portal/brand/{other_brand.pk}/change/")
    assert response.status_code in (302, 404)  # the admin redirects an unknown id to its index
    listing = client.get("/admin/portal/brand/").content.decode()
    assert "Acme Shop" in listing and "Globex Telecom" not in listing


def test_finance_can_read_brands_but_not_change_them(finance: User, brand: Brand) -> None:
    client = Client()
    client.force_login(finance)
    page = client.get(f"/admin/portal/brand/{brand.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # read-only view
    posted = client.post(f"/admin/portal/brand/{brand.pk}/change/", {"name": "Hacked"})
    assert posted.status_code == 403
    brand.refresh_from_db()
    assert brand.name == "Acme Shop"


def test_the_audit_admin_cannot_add_change_or_delete(superuser: User, brand: Brand) -> None:
    event = audit_record(action="test.something", actor=superuser, obj=brand)
    client = Client()
    client.force_login(superuser)
    assert client.get("/admin/portal/auditevent/").status_code == 200
    assert client.get("/admin/portal/auditevent/add/").status_code == 403
    change = client.post(f"/admin/portal/auditevent/{event.pk}/change/", {"action": "forged"})
    assert change.status_code == 403
    assert client.post(f"/admin/portal/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/portal/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302, 403)
    assert AuditEvent.objects.filter(pk=event.pk, action="test.something").exists()


def test_an_account_manager_sees_only_their_brands_audit_events(
    manager: User, brand: Brand, other_brand: Brand
) -> None:
    audit_record(action="test.mine", actor="test", obj=brand)
    audit_record(action="test.theirs", actor="test", obj=other_brand)
    client = Client()
    client.force_login(manager)
    page = client.get("/admin/portal/auditevent/").content.decode()
    assert "test.mine" in page and "test.theirs" not in page


def brand_form(brand: Brand, **changes: object) -> dict[str, object]:
    return {
        "name": brand.name,
        "slug": brand.slug,
        "is_active": "on",
        "account_type": brand.account_type,
        "legal_entity_type": brand.legal_entity_type,
        "application_path": brand.application_path,
        "line_channel_id": brand.line_channel_id,
        "new_channel_access_token": "",
        "new_channel_secret": "",
        **changes,
    }


def test_a_brand_changed_in_the_admin_leaves_one_row_naming_the_changed_fields(manager: User, brand: Brand) -> None:
    client = Client()
    client.force_login(manager)
    last_id = AuditEvent.objects.order_by("id").values_list("id", flat=True).last()
    response = client.post(f"/admin/portal/brand/{brand.pk}/change/", brand_form(brand, name="Acme Taiwan"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Brand.objects.get(pk=brand.pk).name == "Acme Taiwan"
    assert list(Brand.objects.get(pk=brand.pk).account_managers.all()) == [manager]  # read-only for managers
    (event,) = AuditEvent.objects.filter(id__gt=last_id)
    assert (event.action, event.actor_label, event.data) == ("brand.updated", "manager", {"fields": ["name"]})


def test_a_brand_added_in_the_admin_gets_its_managers_and_one_row(superuser: User, manager: User) -> None:
    client = Client()
    client.force_login(superuser)
    new = Brand(name="Initech", slug="initech", line_channel_id="1650000123")
    response = client.post(
        "/admin/portal/brand/add/", brand_form(new, account_managers=[manager.pk], new_channel_secret="s3cret")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    initech = Brand.objects.get(slug="initech")
    assert list(initech.account_managers.all()) == [manager]
    assert initech.channel_secret.reveal() == "s3cret"
    actions = list(AuditEvent.objects.filter(brand=initech).order_by("id").values_list("action", "actor_label"))
    assert actions == [("brand.created", "root"), ("brand.credentials_replaced", "root")]
    assert "account_managers" in AuditEvent.objects.get(brand=initech, action="brand.created").data["fields"]
    assert "s3cret" not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_an_api_key_added_then_renamed_in_the_admin_is_audited_each_time(superuser: User, brand: Brand) -> None:
    client = Client()
    client.force_login(superuser)
    added = client.post(
        "/admin/portal/brandapikey/add/",
        {"brand": brand.pk, "name": "erp", "expiry_date_0": "2031-01-31", "expiry_date_1": "00:00:00"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    api_key = BrandAPIKey.objects.get(brand=brand)
    assert api_key.expiry_date is not None and api_key.expiry_date.year == 2031
    changed = client.post(
        f"/admin/portal/brandapikey/{api_key.pk}/change/",
        {"name": "erp (prod)", "expiry_date_0": "2031-01-31", "expiry_date_1": "00:00:00"},
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    assert BrandAPIKey.objects.get(pk=api_key.pk).name == "erp (prod)"
    events = AuditEvent.objects.filter(object_id=str(api_key.pk)).order_by("id")
    assert [(e.action, e.actor_label) for e in events] == [("api_key.created", "root"), ("api_key.updated", "root")]
    assert events.last().data == {"fields": ["name"]}  # type: ignore[union-attr]


def test_a_brand_is_deactivated_not_deleted(superuser: User, brand: Brand) -> None:
    client = Client()
    client.force_login(superuser)
    assert client.post(f"/admin/portal/brand/{brand.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Brand.objects.filter(pk=brand.pk).exists()


@pytest.mark.parametrize(("app_label", "model"), [("billing", "dashboard"), ("compliance", "copycheck")])
def test_view_on_site_for_an_admin_page_without_a_table_is_not_found(
    superuser: User, app_label: str, model: str
) -> None:
    # Django's redirect would query the unmanaged model's missing table (a 500).
    client = Client()
    client.force_login(superuser)
    content_type = ContentType.objects.get(app_label=app_label, model=model)
    assert client.get(f"/admin/r/{content_type.pk}/1/").status_code == 404


def test_view_on_site_asks_for_a_login_first(brand: Brand) -> None:
    content_type = ContentType.objects.get_for_model(Brand)
    response = Client().get(f"/admin/r/{content_type.pk}/{brand.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

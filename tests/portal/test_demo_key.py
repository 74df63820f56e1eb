"""The demo's API key: one per run directory, kept across restarts, replaced only when asked."""

from __future__ import annotations

import stat
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import override_settings

from notifications.models import SmsAccount
from portal.management.commands.run_demo import demo_api_key, demo_environment
from portal.models import AuditEvent, Brand, BrandAPIKey


def seeded(tmp_path: Path, settings: Any) -> Brand:
    settings.VAR_DIR = tmp_path
    call_command("create_brand", "--slug", "demo-shop", stdout=StringIO())
    return Brand.objects.get(slug="demo-shop")


def test_the_key_is_created_once_and_stored_for_its_owner_only(db: None, tmp_path: Path, settings: Any) -> None:
    brand = seeded(tmp_path, settings)
    key, created = demo_api_key()
    again, created_again = demo_api_key()
    assert (created, created_again) == (True, False)
    assert again == key
    path = tmp_path / "demo-api-key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert BrandAPIKey.objects.filter(brand=brand, revoked=False).count() == 1


def test_rotating_revokes_the_stored_key_and_audits_both(db: None, tmp_path: Path, settings: Any) -> None:
    seeded(tmp_path, settings)
    key, _ = demo_api_key()
    new, created = demo_api_key(rotate=True)
    assert created and new != key
    old = BrandAPIKey.objects.get(prefix=key.partition(".")[0])
    assert old.revoked
    assert (tmp_path / "demo-api-key").read_text().strip() == new
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"api_key.created", "api_key.revoked"} <= actions


def test_a_stored_key_that_no_longer_opens_the_api_is_replaced(db: None, tmp_path: Path, settings: Any) -> None:
    seeded(tmp_path, settings)
    (tmp_path / "demo-api-key").write_text("Abc123.not-a-key-of-this-database\n")
    (tmp_path / "demo-api-key").chmod(0o644)
    key, created = demo_api_key()
    assert created and key != "Abc123.not-a-key-of-this-database"
    assert stat.S_IMODE((tmp_path / "demo-api-key").stat().st_mode) == 0o600


def test_every_url_of_the_demo_follows_its_two_ports(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    env = demo_environment(port=8101, sandbox_port=8191)
    assert env["PORTAL_BASE_URL"] == "http://127.0.0.1:8101"
    assert env["LINE_API_BASE_URL"] == "http://127.0.0.1:8191"
    assert env["SMS_API_BASE_URL"] == "http://127.0.0.1:8191/sms"
    assert (env["PORT"], env["SANDBOX_PORT"], env["VAR_DIR"]) == ("8101", "8191", str(tmp_path))


def test_the_demo_sms_account_follows_the_setting_at_each_send(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    account = SmsAccount.objects.get(brand__slug="demo-shop")
    assert account.base_url == ""
    with override_settings(SMS_API_BASE_URL="http://127.0.0.1:8191/sms"):
        assert account.api_base_url() == "http://127.0.0.1:8191/sms/mitake/b2c/mtk"
    with override_settings(SMS_API_BASE_URL="http://127.0.0.1:9999/sms/"):
        assert account.api_base_url() == "http://127.0.0.1:9999/sms/mitake/b2c/mtk"


def test_seeding_again_clears_a_url_an_earlier_seed_froze(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    SmsAccount.objects.filter(brand__slug="demo-shop").update(base_url="http://127.0.0.1:8090/sms/mitake/b2c/mtk")
    call_command("seed_demo", stdout=StringIO())
    assert SmsAccount.objects.get(brand__slug="demo-shop").base_url == ""

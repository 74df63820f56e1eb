import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_a_warning() -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 10 + "a-long-random-production-secret-key-for-the-deploy-check-0123456789",
        "ALLOWED_HOSTS": "portal.example.com",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_an_encryption_key() -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.com"}
    env.pop("FIELD_ENCRYPTION_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def _production_setting(name: str, **extra: str) -> str:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 60,
        "ALLOWED_HOSTS": "portal.example.com",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        **extra,
    }
    if "TRUST_X_FORWARDED_PROTO" not in extra:
        env.pop("TRUST_X_FORWARDED_PROTO", None)
    setup = "import django; django.setup(); from django.conf import settings as s; "
    code = setup + f"print(repr(getattr(s, {name!r}, None)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_forwarded_proto_header_is_trusted_only_when_told() -> None:
    assert _production_setting("SECURE_PROXY_SSL_HEADER") == "None"
    trusted = _production_setting("SECURE_PROXY_SSL_HEADER", TRUST_X_FORWARDED_PROTO="1")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.models import Brand, BrandAPIKey


def test_create_brand_reads_secrets_from_the_environment(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "from-env-token")
    call_command("create_brand", "--slug", "acme", "--name", "Acme", "--channel-id", "1650000001", stdout=StringIO())
    assert Brand.objects.get(slug="acme").channel_access_token.reveal() == "from-env-token"


def test_create_api_key_prints_the_key_as_its_last_line(db: None) -> None:
    call_command("create_brand", "--slug", "acme", stdout=StringIO())
    out = StringIO()
    call_command("create_api_key", "--brand", "acme", stdout=out, stderr=StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    api_key = BrandAPIKey.objects.get()
    assert api_key.is_valid(key)


def test_create_api_key_names_the_bad_brand(db: None) -> None:
    with pytest.raises(CommandError, match="--brand: no brand with slug 'nope'"):
        call_command("create_api_key", "--brand", "nope")


def test_seed_demo_is_idempotent(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    counts = (Brand.objects.count(), BrandAPIKey.objects.count())
    from django.contrib.auth.models import User

    users = User.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert (Brand.objects.count(), BrandAPIKey.objects.count()) == counts
    assert User.objects.count() == users
    assert Brand.objects.filter(slug="demo-shop").exists()


def test_create_brand_refuses_a_line_channel_another_brand_uses(db: None) -> None:
    call_command("create_brand", "--slug", "acme", "--channel-id", "1650000001", stdout=StringIO())

    with pytest.raises(CommandError, match=r"--line-channel-id: Brand acme already uses LINE channel 1650000001"):
        call_command("create_brand", "--slug", "globex", "--channel-id", "1650000001", stdout=StringIO())

    assert not Brand.objects.filter(slug="globex").exists()

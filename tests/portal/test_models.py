from django.db import connection

from portal.fields import Secret
from portal.models import Brand


def test_channel_credentials_are_stored_encrypted(brand: Brand) -> None:
    # when
    with connection.cursor() as cursor:
        cursor.execute("SELECT channel_secret, channel_access_token FROM portal_brand WHERE id = %s", [brand.pk])
        raw_secret, raw_token = cursor.fetchone()
    # then
    assert "acme-access-token" not in raw_token
    assert "acme-channel-secret" not in raw_secret
    assert raw_token.startswith("gAAAAA")  # a Fernet token
    reloaded = Brand.objects.get(pk=brand.pk)
    assert reloaded.channel_access_token.reveal() == "acme-access-token"
    assert reloaded.channel_secret.reveal() == "acme-channel-secret"


def test_a_secret_never_shows_itself_in_text() -> None:
    secret = Secret("s3cr3t-token")
    assert str(secret) == "********"
    assert "s3cr3t" not in repr(secret)
    assert "s3cr3t" not in f"{secret}"
    assert secret.reveal() == "s3cr3t-token"


def test_secrets_are_left_out_of_serialised_data(brand: Brand) -> None:
    from django.core import serializers

    dumped = serializers.serialize("json", [brand])
    assert "acme-access-token" not in dumped
    assert "gAAAAA" not in dumped

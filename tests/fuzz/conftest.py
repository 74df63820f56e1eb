"""The API's own OpenAPI schema, loaded in-process for schemathesis, and the WSGI app it calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import schemathesis
from django.conf import LazySettings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from schemathesis.specs.openapi.schemas import OpenApiSchema

from portal.models import Brand

# The WSGI client schemathesis drives sends ``Host: localhost``.
WSGI_HOST = "localhost"


def load_api_schema() -> OpenApiSchema:
    """Load the schema drf-spectacular serves at ``/api/schema/``, to be called through the WSGI app.

    It is generated in-process (the same generator the schema view runs) because the test
    items are made at collection time, before any test database exists.
    """
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    schema.config.generation.update(deterministic=True, database="none")
    return schema


@pytest.fixture(autouse=True)
def wsgi_requests(db: None, settings: LazySettings) -> Iterator[None]:
    """Let the WSGI app answer schemathesis's client, on the test's own database connection.

    As Django's test client does, a request does not close the database connection at its
    end: the test's transaction (and the brand and key it made) lives on that connection.
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, WSGI_HOST]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(brand: Brand, api_key_for: Callable[[Brand], str]) -> str:
    """A valid API key of ``brand``."""
    return api_key_for(brand)

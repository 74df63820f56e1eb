from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are compared in English; the portal's default language is Traditional Chinese.
    with translation.override("en"):
        yield

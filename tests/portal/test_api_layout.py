"""One DRF style across the API: every operation under /api/v1/ is a ViewSet's, routed by a router."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.viewsets import ViewSetMixin


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def test_every_api_operation_is_served_by_a_viewset() -> None:
    api = [(route, p) for route, p in _patterns(get_resolver()) if route.startswith("api/v1/")]
    assert len(api) >= 8  # brands, members, consents, line binding, OTP, notifications, batch, templates
    not_viewsets = [route for route, p in api if not issubclass(getattr(p.callback, "cls", object), ViewSetMixin)]
    assert not_viewsets == []

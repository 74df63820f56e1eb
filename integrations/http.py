"""One pooled ``requests.Session`` per process, re-created after a fork (Celery prefork)."""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "pnp-portal/1.0 (+https://github.com/)"

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")

_local = threading.local()


def session() -> requests.Session:
    """Return this thread's session; a forked child gets its own pool, never the parent's sockets."""
    current: requests.Session | None = getattr(_local, "session", None)
    if current is None or getattr(_local, "pid", None) != os.getpid():
        current = requests.Session()
        # No transport-level retries: whether a request may be retried is a business decision
        # (a PNP has no retry key), taken by the caller from the exception it gets.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        current.mount("http://", adapter)
        current.mount("https://", adapter)
        current.headers["User-Agent"] = USER_AGENT
        # requests re-reads proxies, the CA bundle and ~/.netrc from the environment on every
        # call, a fifth of a PNP's client-side cost. Without a proxy, read the CA bundle once,
        # as requests would; with one, keep requests' own handling (and NO_PROXY).
        if not any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
            current.trust_env = False
            current.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        _local.session = current
        _local.pid = os.getpid()
        _local.templates = {}
    return current


def prepared(method: str, url: str) -> requests.PreparedRequest:
    """A request to ``url`` prepared by this thread's session, to complete with headers and a body.

    ``Session.request`` parses the URL, merges the session's headers, cookies and hooks and
    reads the settings again on every call: a third of a PNP's client CPU. Here the session
    prepares each method and URL once, and every request is a copy of that: send it with
    ``session().send``. Cookies a server sets later are not added (LINE's API sets none).
    """
    current = session()
    templates: dict[tuple[str, str], requests.PreparedRequest] = _local.templates
    template = templates.get((method, url))
    if template is None:
        template = templates[(method, url)] = current.prepare_request(requests.Request(method, url))
    return template.copy()

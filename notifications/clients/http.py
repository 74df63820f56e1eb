"""One pooled ``requests.Session`` per process, re-created after a fork (Celery prefork)."""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "pnp-portal/1.0 (+https://github.com/)"

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
        _local.session = current
        _local.pid = os.getpid()
    return current

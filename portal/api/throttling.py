"""A request limit per brand API key, shared by every web process through the cache (Redis).

A fixed window (one counter per key and minute) costs one atomic increment per request;
DRF's own ``SimpleRateThrottle`` keeps every request's time in a list that it reads and
writes back whole, which at a brand's rates (hundreds a second) would cost more than the
request. Over the limit, DRF answers 429 with ``Retry-After`` (the seconds left in the window).
Staff sessions are not limited here (the admin's login has its own lockout).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from portal.api.authentication import request_api_key

WINDOW_SECONDS = 60


class BrandKeyThrottle(BaseThrottle):
    """At most ``API_KEY_REQUESTS_PER_MINUTE`` requests per API key in each calendar minute."""

    def allow_request(self, request: Request, view: Any) -> bool:
        api_key = request_api_key(request)
        limit = int(settings.API_KEY_REQUESTS_PER_MINUTE)
        if api_key is None or limit <= 0:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"api-throttle:{api_key.pk}:{window}"
        # add() starts the window's counter (and its expiry) once; incr() is atomic on Redis.
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # the counter expired between the two calls
                cache.add(key, 1, timeout=WINDOW_SECONDS * 2)
                count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def wait(self) -> float | None:
        return max(1.0, getattr(self, "_wait", WINDOW_SECONDS))

"""LINE's account endpoints: follower ids, a user's profile, and the month's message quota.

They follow LINE's Messaging API reference (and `line-openapi`'s `messaging-api.yml`):

* `GET /v2/bot/followers/ids?limit=&start=`: friends who have not blocked the account, in pages of
  `limit` (default 300, at most 1,000); `next` is present only while more remain. An account without
  access to the API (LINE: only verified or premium accounts) gets 403.
* `GET /v2/bot/profile/{userId}`: 404 `{"message": "Not found"}` for a user who is not a friend or has
  blocked the account, as LINE answers.
* `GET /v2/bot/message/quota`: `{"type": "none"}` or `{"type": "limited", "value": N}`;
  `GET /v2/bot/message/quota/consumption`: `{"totalUsage": N}`, push messages sent this JST month.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from aiohttp import web

from .clock import jst_day_string
from .server import B_RATE_LIMITED, B_UNAUTHORIZED, Sandbox, dumps, json_response

DEFAULT_FOLLOWERS_LIMIT = 300
MAX_FOLLOWERS_LIMIT = 1000
B_NO_ACCESS = dumps({"message": "Access to this API is not available for your account"})
B_NOT_FOUND = dumps({"message": "Not found"})


def _token(offset: int) -> str:
    """An opaque continuation token (LINE's are opaque too; this one carries the offset)."""
    return base64.urlsafe_b64encode(f"sandbox:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "sandbox" or not number.isdigit():
        return None
    return int(number)


def _headers() -> dict:
    return {"x-line-request-id": str(uuid.uuid4())}


class AccountApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def _begin(self, request: web.Request, endpoint: str):
        """Faults, the token and the rate limit; return (early response, channel, late rule)."""
        sandbox = self.sandbox
        early, late = await sandbox.apply_faults(request, endpoint)
        if early is not None:
            return early, None, None
        channel = sandbox.channel_for(request)
        if channel is None:
            return json_response(B_UNAUTHORIZED, 401), None, None
        if not sandbox.rate_ok(channel.channel_id, endpoint):
            return json_response(B_RATE_LIMITED, 429), None, None
        return None, channel, late

    async def followers_ids(self, request: web.Request) -> web.StreamResponse:
        early, channel, late = await self._begin(request, "followers")
        if early is not None:
            return early
        if not channel.followers_api:
            return json_response(B_NO_ACCESS, 403, _headers())
        raw_limit = request.query.get("limit")
        if raw_limit is None:
            limit = DEFAULT_FOLLOWERS_LIMIT
        else:
            limit = int(raw_limit) if raw_limit.isdigit() else 0
            if not 1 <= limit <= MAX_FOLLOWERS_LIMIT:
                return json_response(
                    dumps(
                        {"message": f"The value for the 'limit' parameter must be between 1 and {MAX_FOLLOWERS_LIMIT}"}
                    ),
                    400,
                    _headers(),
                )
        start = 0
        if "start" in request.query:
            offset = _offset(request.query["start"])
            if offset is None:
                return json_response(
                    dumps({"message": "The value for the 'start' parameter is invalid"}), 400, _headers()
                )
            start = offset
        cid = channel.channel_id
        followers = sorted(
            uid
            for uid, user in self.sandbox.world.users_by_uid.items()
            if (link := user.link(cid)) is not None and link.friend and not link.blocked
        )
        page = followers[start : start + limit]
        body: dict = {"userIds": page}
        if start + limit < len(followers):
            body["next"] = _token(start + limit)
        return await self.sandbox.answer(json_response(dumps(body), headers=_headers()), late)

    async def profile(self, request: web.Request) -> web.StreamResponse:
        early, channel, late = await self._begin(request, "profile")
        if early is not None:
            return early
        uid = request.match_info["user_id"]
        user = self.sandbox.world.users_by_uid.get(uid)
        link = user.link(channel.channel_id) if user is not None else None
        if user is None or link is None or not link.friend or link.blocked:
            return json_response(B_NOT_FOUND, 404, _headers())
        body = {"displayName": user.display_name, "userId": user.uid}
        if user.privacy_ok:  # LINE leaves `language` out until the user accepts its privacy policy
            body["language"] = "zh-TW"
        return await self.sandbox.answer(json_response(dumps(body), headers=_headers()), late)

    async def quota(self, request: web.Request) -> web.StreamResponse:
        early, channel, late = await self._begin(request, "quota")
        if early is not None:
            return early
        if channel.message_quota is None:
            body: dict = {"type": "none"}
        else:
            body = {"type": "limited", "value": channel.message_quota}
        return await self.sandbox.answer(json_response(dumps(body), headers=_headers()), late)

    async def quota_consumption(self, request: web.Request) -> web.StreamResponse:
        early, channel, late = await self._begin(request, "quota")
        if early is not None:
            return early
        month = jst_day_string(self.sandbox.clock.now())[:6]
        used = self.sandbox.push_month_counts.get((channel.channel_id, month), 0)
        return await self.sandbox.answer(json_response(dumps({"totalUsage": used}), headers=_headers()), late)


def add_routes(app: web.Application, sandbox: Sandbox) -> None:
    api = AccountApi(sandbox)
    app.router.add_get("/v2/bot/followers/ids", api.followers_ids)
    app.router.add_get("/v2/bot/profile/{user_id}", api.profile)
    app.router.add_get("/v2/bot/message/quota", api.quota)
    app.router.add_get("/v2/bot/message/quota/consumption", api.quota_consumption)

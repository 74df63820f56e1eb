"""The LINE Messaging API client: PNP push, push, reply and the PNP delivery count.

Every call says, through the exception it raises, whether a retry is safe:

* :class:`LineRetryableError` — 429, a 5xx to a read (GET), or a connection that failed
  before the request was sent. Retry with backoff (``retry_after`` honours ``Retry-After``).
* :class:`LineAmbiguousError` — the request was sent but no usable answer came: a 5xx to a
  send (LINE's retry guidance: it may have been processed), a read timeout, a connection
  dropped mid-response. LINE may have accepted it; PNP has no retry key, so a blind retry
  may notify the member twice.
* :class:`LineRefusedError` — 422 on a PNP: no LINE user for the number, or consent off.
* :class:`LineRequestError` — any other 4xx: the request is wrong and will stay wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from integrations.http import prepared, session


class LineError(Exception):
    """A call to LINE that did not succeed."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body[:500]


class LineRetryableError(LineError):
    """Nothing was accepted: retry later (``retry_after`` seconds if LINE said so)."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "", retry_after: float | None = None):
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class LineAmbiguousError(LineError):
    """The request left this machine but no answer came back: LINE may or may not have it."""


class LineRefusedError(LineError):
    """LINE refused the PNP (422): not on LINE, PNP turned off by the user, or LINE's privacy policy not accepted."""


class LineRequestError(LineError):
    """LINE rejected the request as malformed or unauthorised (400, 401, 403, 409, 413, ...)."""


@dataclass(frozen=True)
class DeliveryCount:
    """LINE's own count of PNP delivered on one JST day."""

    status: str
    success: int | None
    raw: str = ""  # LINE's body as sent, kept when it is not what the reference describes


def _url(path: str) -> str:
    return settings.LINE_API_BASE_URL.rstrip("/") + path


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _request(
    method: str,
    path: str,
    *,
    access_token: str,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    fixed_path: bool = True,
) -> requests.Response:
    all_headers = {"Authorization": f"Bearer {access_token}"}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else None
    if params or not fixed_path:  # a path with an id in it is not kept as a template
        request = session().prepare_request(requests.Request(method, _url(path), params=params))
    else:
        request = prepared(method, _url(path))
    request.headers.update(all_headers)
    request.prepare_body(data, None)
    try:
        # LINE's API does not redirect: a redirected push is an error, not something to follow.
        response = session().send(request, timeout=settings.LINE_API_TIMEOUT, allow_redirects=False)
    except requests.ConnectTimeout as exc:
        raise LineRetryableError(f"connect timeout: {type(exc).__name__}") from None
    except requests.ConnectionError as exc:
        if _connection_never_made(exc):
            raise LineRetryableError(f"connection failed: {type(exc).__name__}") from None
        raise LineAmbiguousError(f"connection lost after sending: {type(exc).__name__}") from None
    except requests.ReadTimeout:
        raise LineAmbiguousError("read timeout after sending") from None
    status = response.status_code
    if status >= 500 and method != "GET":
        # LINE's retry guidance: after a 5xx the request may have been processed. A PNP or a reply
        # has no retry key, so only the caller (with a retry key, or a policy) may decide to repeat.
        raise LineAmbiguousError(
            f"LINE answered {status} after the request was sent", status=status, body=response.text
        )
    if status == 429 or status >= 500:
        raise LineRetryableError(
            f"LINE answered {status}", status=status, body=response.text, retry_after=_retry_after(response)
        )
    return response


def _connection_never_made(exc: requests.ConnectionError) -> bool:
    """True when the TCP connection itself failed, so the request cannot have been sent."""
    from urllib3.exceptions import NewConnectionError

    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError) or isinstance(exc.__context__, NewConnectionError)


def pnp_push(*, access_token: str, phone_hash: str, messages: list[dict[str, Any]], delivery_tag: str) -> str:
    """Send a PNP to the hashed number; return LINE's request id. Raises the errors above."""
    response = _request(
        "POST",
        "/bot/pnp/push",
        access_token=access_token,
        headers={"X-Line-Delivery-Tag": delivery_tag},
        body={"to": phone_hash, "messages": messages},
    )
    if response.status_code == 422:
        raise LineRefusedError("LINE refused the PNP (422)", status=422, body=response.text)
    if response.status_code != 200:
        raise LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)
    return response.headers.get("x-line-request-id", "")


def message_push(*, access_token: str, to: str, messages: list[dict[str, Any]], retry_key: str) -> str:
    """Push to a friend by LINE user id; a repeated retry key (409) counts as already sent."""
    response = _request(
        "POST",
        "/v2/bot/message/push",
        access_token=access_token,
        headers={"X-Line-Retry-Key": retry_key},
        body={"to": to, "messages": messages},
    )
    if response.status_code == 409:
        return response.headers.get("x-line-accepted-request-id", "")
    if response.status_code != 200:
        raise LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)
    return response.headers.get("x-line-request-id", "")


def message_reply(*, access_token: str, reply_token: str, messages: list[dict[str, Any]]) -> None:
    """Reply to an event (a follow) with its single-use reply token."""
    response = _request(
        "POST",
        "/v2/bot/message/reply",
        access_token=access_token,
        body={"replyToken": reply_token, "messages": messages},
    )
    if response.status_code != 200:
        raise LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)


def pnp_delivery_count(*, access_token: str, jst_day: date) -> DeliveryCount:
    """Return LINE's count of PNP delivered on a JST (UTC+9) calendar day."""
    response = _request(
        "GET", "/v2/bot/message/delivery/pnp", access_token=access_token, params={"date": jst_day.strftime("%Y%m%d")}
    )
    if response.status_code != 200:
        raise LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)
    return _delivery_count(response)


def _delivery_count(response: requests.Response) -> DeliveryCount:
    """Read a count answer; what the reference does not describe is kept raw, never read as zero."""
    try:
        payload = response.json()
    except ValueError:
        code = response.status_code
        raise LineRequestError("LINE's count answer is not JSON", status=code, body=response.text) from None
    raw = response.text[:300]
    if not isinstance(payload, dict):
        return DeliveryCount(status="", success=None, raw=raw)
    status, success = payload.get("status"), payload.get("success")
    if not isinstance(success, int) or isinstance(success, bool) or success < 0:
        success = None
    # A status is kept as LINE sent it (the statement shows it), within what a database column holds.
    kept = status.replace("\x00", "\ufffd")[:32] if isinstance(status, str) else ""
    return DeliveryCount(status=kept, success=success, raw=raw)


# -- Followers, profiles, quota and template PNP ---------------------------------------------------------


class LineNotAvailableError(LineRequestError):
    """LINE answered 403: this account may not use the API (follower ids: verified or premium accounts only)."""


@dataclass(frozen=True)
class LineProfile:
    """A friend's LINE profile, as LINE gives it (only for users who have added the account)."""

    user_id: str
    display_name: str
    language: str | None = None
    picture_url: str | None = None
    status_message: str | None = None


@dataclass(frozen=True)
class MessageQuota:
    """The month's target limit for messages (``limit`` None: no limit set) and the messages sent so far."""

    type: str
    limit: int | None
    total_usage: int


FOLLOWERS_PAGE_LIMIT = 1000  # LINE's maximum page; its default is 300


def _refused_or_wrong(response: requests.Response) -> LineRequestError:
    if response.status_code == 403:
        return LineNotAvailableError("LINE answered 403: not available to this account", status=403, body=response.text)
    return LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)


def _json_object(response: requests.Response) -> dict[str, Any]:
    """LINE's answer as a JSON object, or :class:`LineRequestError` carrying the body as sent."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise LineRequestError("LINE's answer is not a JSON object", status=response.status_code, body=response.text)
    return payload


def followers_ids(*, access_token: str, limit: int = FOLLOWERS_PAGE_LIMIT) -> list[str]:
    """Return the user ids of every friend who has not blocked the account, reading all of LINE's pages.

    Raises :class:`LineNotAvailableError` on 403 (the account is neither verified nor premium).
    """
    if not 1 <= limit <= FOLLOWERS_PAGE_LIMIT:
        raise ValueError(f"limit must be between 1 and {FOLLOWERS_PAGE_LIMIT}, got {limit}")
    user_ids: list[str] = []
    start: str | None = None
    while True:
        params = {"limit": str(limit)}
        if start is not None:
            params["start"] = start
        response = _request("GET", "/v2/bot/followers/ids", access_token=access_token, params=params)
        if response.status_code != 200:
            raise _refused_or_wrong(response)
        payload = _json_object(response)
        user_ids.extend(str(uid) for uid in payload.get("userIds") or [])
        next_start = payload.get("next")
        if not next_start:
            return user_ids
        if next_start == start:  # a token that does not move on would loop for ever
            raise LineRequestError("LINE returned the same continuation token twice", status=200)
        start = str(next_start)


def profile(*, access_token: str, user_id: str) -> LineProfile | None:
    """Return a friend's profile, or None when LINE answers 404 (not a friend, or the user blocked the account)."""
    path = f"/v2/bot/profile/{quote(user_id, safe='')}"
    response = _request("GET", path, access_token=access_token, fixed_path=False)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _refused_or_wrong(response)
    payload = _json_object(response)
    if not isinstance(payload.get("userId"), str):
        raise LineRequestError("LINE's profile has no userId", status=response.status_code, body=response.text)
    return LineProfile(
        user_id=str(payload["userId"]),
        display_name=str(payload.get("displayName", "")),
        language=payload.get("language"),
        picture_url=payload.get("pictureUrl"),
        status_message=payload.get("statusMessage"),
    )


def message_quota(*, access_token: str) -> MessageQuota:
    """Return the month's message target and how much of it is used (two calls: quota, then consumption)."""
    quota = _request("GET", "/v2/bot/message/quota", access_token=access_token)
    if quota.status_code != 200:
        raise _refused_or_wrong(quota)
    used = _request("GET", "/v2/bot/message/quota/consumption", access_token=access_token)
    if used.status_code != 200:
        raise _refused_or_wrong(used)
    quota_payload, used_payload = _json_object(quota), _json_object(used)
    value, usage = quota_payload.get("value"), used_payload.get("totalUsage")
    if not isinstance(usage, int) or (value is not None and not isinstance(value, int)):
        raise LineRequestError("LINE's quota answer has no usable numbers", status=200, body=quota.text + used.text)
    return MessageQuota(type=str(quota_payload.get("type", "")), limit=value, total_usage=usage)


def pnp_templated_push(
    *, access_token: str, phone_hash: str, template_key: str, body: dict[str, Any] | None, delivery_tag: str
) -> str:
    """Send a template PNP (LINE's template, filled in); return LINE's request id. LINE answers 202.

    ``body`` is LINE's ``{"emphasizedItem", "items", "buttons"}``. Raises like :func:`pnp_push`: 422 is
    :class:`LineRefusedError`, 403 (the account may not send template PNP) :class:`LineNotAvailableError`.
    """
    payload: dict[str, Any] = {"to": phone_hash, "templateKey": template_key}
    if body is not None:
        payload["body"] = body
    response = _request(
        "POST",
        "/v2/bot/message/pnp/templated/push",
        access_token=access_token,
        headers={"X-Line-Delivery-Tag": delivery_tag},
        body=payload,
    )
    if response.status_code == 422:
        raise LineRefusedError("LINE refused the template PNP (422)", status=422, body=response.text)
    if response.status_code != 202:
        raise _refused_or_wrong(response)
    return response.headers.get("x-line-request-id", "")


def pnp_templated_delivery_count(*, access_token: str, jst_day: date) -> DeliveryCount:
    """Return LINE's count of template PNP sent on a JST (UTC+9) day and delivered."""
    response = _request(
        "GET",
        "/v2/bot/message/delivery/pnp/templated",
        access_token=access_token,
        params={"date": jst_day.strftime("%Y%m%d")},
    )
    if response.status_code != 200:
        raise LineRequestError(f"LINE answered {response.status_code}", status=response.status_code, body=response.text)
    return _delivery_count(response)


class LineIdTokenInvalidError(LineRequestError):
    """LINE answered 400 to an ID token: forged, expired, or issued for another channel."""


@dataclass(frozen=True)
class IdTokenClaims:
    """Who a LIFF ID token names, as LINE's verify endpoint answered."""

    user_id: str  # ``sub``
    channel_id: str  # ``aud``: the LINE Login channel the token was issued for
    expires_at: int  # ``exp``, UNIX seconds
    name: str = ""


def id_token_verify(*, id_token: str, client_id: str) -> IdTokenClaims:
    """Ask LINE whom an ID token (``liff.getIDToken()``) names: ``POST /oauth2/v2.1/verify``.

    ``client_id`` is the LIFF app's LINE Login channel id; a token for another channel is
    refused by LINE. Raises :class:`LineIdTokenInvalidError` with LINE's description on 400;
    the call only reads, so any failure to get an answer is :class:`LineRetryableError`.
    """
    try:
        response = session().post(
            _url("/oauth2/v2.1/verify"),
            data={"id_token": id_token, "client_id": client_id},
            timeout=settings.LINE_API_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise LineRetryableError(f"LINE's verify endpoint did not answer: {type(exc).__name__}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise LineRetryableError(
            f"LINE answered {response.status_code}",
            status=response.status_code,
            body=response.text,
            retry_after=_retry_after(response),
        )
    if response.status_code == 400:
        try:
            description = str(response.json().get("error_description") or "")
        except (ValueError, AttributeError):
            description = ""
        raise LineIdTokenInvalidError(description or "LINE refused the ID token", status=400, body=response.text)
    if response.status_code != 200:
        raise _refused_or_wrong(response)
    payload = _json_object(response)
    user_id, audience = payload.get("sub"), payload.get("aud")
    if not isinstance(user_id, str) or str(audience) != client_id:
        raise LineRequestError("LINE's verify answer names no user of this channel", status=200, body=response.text)
    return IdTokenClaims(
        user_id=user_id,
        channel_id=str(audience),
        expires_at=int(payload.get("exp") or 0),
        name=str(payload.get("name") or ""),
    )

"""LINE's webhook body, read event by event: each good event is kept, each bad one is rejected alone.

LINE signs the whole request and redelivers it whole if the answer is not 200, so a single
malformed event must neither refuse the request (its good deliveries would be lost with it,
again on every redelivery) nor reach the database as something PostgreSQL cannot store
(a NUL or a lone surrogate in a string, NaN, a number past a timestamp's range).

:func:`events_read` returns one :class:`ReadEvent` per event: a good one with its fields, a
rejected one with the reason. A body that is not a JSON object with an ``events`` array is
the only thing refused as a whole (:class:`BodyError`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portal.text import storable

# LINE's events are a few levels deep; a deeper one is not LINE's.
MAX_DEPTH = 32
# Milliseconds since the epoch: 2000-01-01 to 2100-01-01 covers every event LINE can send.
TIMESTAMP_MIN, TIMESTAMP_MAX = 946_684_800_000, 4_102_444_800_000
# How much of a rejected event is kept as evidence.
RAW_KEEP = 2000


class BodyError(ValueError):
    """The body is not a JSON object with an ``events`` array: nothing in it can be read."""


class _NotJson(ValueError):
    pass


@dataclass(frozen=True)
class ReadEvent:
    """One event of the body: ``reason`` is empty for a good event, else why it was rejected."""

    event_id: str
    event_type: str
    is_redelivery: bool
    occurred_at: datetime
    payload: dict[str, Any]
    reason: str = ""


def _no_constants(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    # 1e400 is valid JSON that Python reads as infinity, which PostgreSQL's JSON cannot hold.
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"{text} is beyond a number's range")
    return value


# What a byte that is not UTF-8 becomes when the body is decoded with ``surrogateescape``.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def events_read(body: bytes, *, now: datetime | None = None) -> list[ReadEvent]:
    """Read every event of a webhook body; raise :class:`BodyError` only when there is no events array."""
    now = now or datetime.now(tz=UTC)
    try:
        payload = json.loads(body, parse_constant=_no_constants, parse_float=_finite)
    except (ValueError, RecursionError):
        # One event may be what broke the whole (NaN, nesting past the parser's limit):
        # cut the array into its events and read each one on its own.
        return [_read_raw(raw, now) for raw in _raw_events(body)]
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise BodyError("body must be a JSON object with an 'events' array")
    return [_read(event, now) for event in payload["events"]]


def _read_raw(raw: str, now: datetime) -> ReadEvent:
    if _UNDECODABLE.search(raw):
        return _rejected({"raw": raw[:RAW_KEEP]}, raw, now, "not valid UTF-8")
    try:
        event = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
    except RecursionError:
        return _rejected({"raw": raw[:RAW_KEEP]}, raw, now, f"nested deeper than {MAX_DEPTH} levels")
    except ValueError as exc:
        return _rejected({"raw": raw[:RAW_KEEP]}, raw, now, f"not valid JSON: {exc}")
    return _read(event, now)


def _read(event: Any, now: datetime) -> ReadEvent:
    if not isinstance(event, dict):
        raw = json.dumps(event, ensure_ascii=False, default=str)[:RAW_KEEP]
        return _rejected({"raw": raw}, raw, now, "an event must be a JSON object")
    if _depth(event) > MAX_DEPTH:
        raw = json.dumps(event, ensure_ascii=False)
        return _rejected({"raw": raw[:RAW_KEEP]}, raw, now, f"nested deeper than {MAX_DEPTH} levels")
    clean = storable(event)
    assert isinstance(clean, dict)
    problem = _problem(event)
    if problem:
        return _rejected(clean, json.dumps(clean, sort_keys=True, ensure_ascii=False), now, problem)
    timestamp = event.get("timestamp")
    context = event.get("deliveryContext") or {}
    return ReadEvent(
        event_id=event["webhookEventId"],
        event_type=event["type"],
        is_redelivery=bool(context.get("isRedelivery", False)),
        occurred_at=datetime.fromtimestamp(timestamp / 1000, tz=UTC) if timestamp is not None else now,
        payload=clean,
    )


def _problem(event: dict[str, Any]) -> str:
    """Why the event cannot be applied as LINE describes it, or ``""``."""
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id:
        return "webhookEventId must be a non-empty string"
    if len(event_id) > 64 or not event_id.isprintable() or storable(event_id) != event_id:
        return "webhookEventId must be at most 64 printable characters"
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 32 or storable(event_type) != event_type:
        return "type must be a string of at most 32 characters"
    timestamp = event.get("timestamp")
    if timestamp is not None and (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, int | float)
        or not TIMESTAMP_MIN <= timestamp <= TIMESTAMP_MAX
    ):
        return "timestamp must be milliseconds since the epoch, between 2000 and 2100"
    context = event.get("deliveryContext")
    if context is not None and not isinstance(context, dict):
        return "deliveryContext must be an object"
    if isinstance(context, dict) and not isinstance(context.get("isRedelivery", False), bool):
        return "deliveryContext.isRedelivery must be true or false"
    for name in ("source", "delivery", "message"):
        if name in event and not isinstance(event[name], dict):
            return f"{name} must be an object"
    return ""


def _rejected(payload: dict[str, Any], raw: str, now: datetime, reason: str) -> ReadEvent:
    # The id is the event's own hash: a redelivery of the same bad event is not stored twice.
    digest = hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:48]
    event_type = payload.get("type") if isinstance(payload.get("type"), str) else ""
    return ReadEvent(
        event_id=f"rejected:{digest}",
        event_type=str(event_type)[:32],
        is_redelivery=False,
        occurred_at=now,
        # The raw text of a broken event may hold a NUL or a lone surrogate as well.
        payload=storable(payload),
        reason=reason,
    )


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value``, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items: Any = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in items)
    return deepest


def _raw_events(body: bytes) -> list[str]:
    """Cut the top-level ``events`` array of a body into the raw text of each event.

    A scan that counts brackets outside strings, so nesting depth costs nothing; raises
    :class:`BodyError` when the body is not an object whose ``events`` is an array.
    """
    # A byte that is not UTF-8 spoils only the event it is in: it is kept as a lone surrogate
    # and that event rejected (``_read_raw``).
    text = body.decode("utf-8", "surrogateescape")
    try:
        start = _events_array_start(text)
    except BodyError:
        if _UNDECODABLE.search(text):
            raise BodyError("body must be UTF-8 JSON") from None
        raise
    events: list[str] = []
    depth, in_string, escaped, begin = 0, False, False, -1
    for index in range(start + 1, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
            if depth == 0 and begin < 0:
                begin = index
        elif char in "[{":
            if depth == 0 and begin < 0:
                begin = index
            depth += 1
        elif char in "]}":
            if depth == 0:  # the end of the events array
                if begin >= 0:
                    events.append(text[begin:index].strip())
                return events
            depth -= 1
        elif char == "," and depth == 0:
            if begin >= 0:
                events.append(text[begin:index].strip())
            begin = -1
        elif depth == 0 and begin < 0 and not char.isspace():
            begin = index  # a bare number, true, false, null or NaN
    raise BodyError("body must be a JSON object with an 'events' array")


def _events_array_start(text: str) -> int:
    """The index of the ``[`` that opens the top-level ``"events"`` array."""
    depth, in_string, escaped, key_start = 0, False, False, -1
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1 and text[key_start + 1 : index] == "events":
                    after = _skip_space(text, index + 1)
                    if after < len(text) and text[after] == ":":
                        opening = _skip_space(text, after + 1)
                        if opening < len(text) and text[opening] == "[":
                            return opening
            continue
        if char == '"':
            in_string, key_start = True, index
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    raise BodyError("body must be a JSON object with an 'events' array")


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


__all__ = ["BodyError", "ReadEvent", "events_read"]

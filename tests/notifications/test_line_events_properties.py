"""Properties of LINE's webhook reader, on bodies nobody wrote by hand (hypothesis).

Whatever bytes arrive, the reader either refuses the whole body with ``BodyError`` or returns
one event per element of the ``events`` array, each storable by PostgreSQL (no NUL, no lone
surrogate, JSON-encodable), a good one with an id LINE could have sent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.api.line_events import BodyError, ReadEvent, events_read

NOW = datetime(2026, 12, 1, tzinfo=UTC)
PROFILE = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that break storage: NUL, lone surrogates, controls.
hostile_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40) | st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "x\udfffy", "\u2028", "", " " * 70]
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=20,
)
line_like_event = st.fixed_dictionaries(
    {},
    optional={
        "type": json_values | st.sampled_from(["delivery", "follow", "unfollow", "message"]),
        "webhookEventId": json_values | st.text(min_size=1, max_size=70),
        "timestamp": json_values | st.integers(min_value=0, max_value=5 * 10**12),
        "deliveryContext": json_values | st.fixed_dictionaries({"isRedelivery": json_values}),
        "source": json_values,
        "delivery": json_values,
        "message": json_values,
    },
)


def _storable(value: object) -> bool:
    """No NUL and no lone surrogate in any string or key: what PostgreSQL's text and jsonb refuse."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    json.dumps(value)
    return True


def _check(events: list[ReadEvent]) -> None:
    for event in events:
        assert _storable(event.payload)
        assert isinstance(event.payload, dict)
        assert len(event.event_id) <= 64 and event.event_id.isprintable()
        assert len(event.event_type) <= 32 and "\x00" not in event.event_type
        if event.reason:
            assert event.event_id.startswith("rejected:")
        else:
            assert isinstance(event.occurred_at, datetime)


@PROFILE
@given(st.lists(st.one_of(line_like_event, json_values), max_size=6))
def test_any_events_array_gives_one_storable_event_per_element(events: list[object]) -> None:
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    read = events_read(body, now=NOW)
    assert len(read) == len(events)
    _check(read)


@PROFILE
@given(st.binary(max_size=300))
def test_any_bytes_are_either_refused_whole_or_read_event_by_event(body: bytes) -> None:
    try:
        read = events_read(body, now=NOW)
    except BodyError:
        return
    _check(read)


@PROFILE
@given(st.integers(min_value=1, max_value=6000), st.sampled_from(["[", '{"a":']))
def test_deep_nesting_in_one_event_never_raises(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    body = ('{"events": [{"type": "message", "webhookEventId": "e1", "message": {"x": ' + nested + "}}]}").encode()
    [event] = events_read(body, now=NOW)
    # the event, its message, then the nesting: deeper than 32 levels is rejected, and only that
    assert ("nested deeper" in event.reason) == (depth + 2 > 32)
    assert event.reason in ("", "nested deeper than 32 levels")
    _check([event])

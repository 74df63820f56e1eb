"""Send to LINE within the channel's shared rate limit: the one function every sender uses.

Dispatch (PNP and push), binding's welcome (reply and push) and any later caller send
through :func:`line_send_limited`, so the rate limit and the "limit exhausted" answer are
the same everywhere, and :func:`retry_is_safe` sorts LINE's errors the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from integrations import line, ratelimit

# The LINE endpoint of each kind of request, as the shared rate limit counts them (LINE's
# limit is per channel and endpoint), with the client function that sends it.
PNP = "pnp"
TEMPLATED = "templated"  # template PNP: its own endpoint, so its own share of LINE's limit
PUSH = "push"
REPLY = "reply"
_SENDERS = {PNP: "pnp_push", TEMPLATED: "pnp_templated_push", PUSH: "message_push", REPLY: "message_reply"}

# How long a sender waits for a token before it gives the request back to be retried.
MAX_WAIT = 2.0


def line_token_take(
    endpoint: str,
    *,
    channel_id: str,
    allowance: ratelimit.Allowance | None = None,
    max_wait: float = MAX_WAIT,
) -> None:
    """Take one of the channel's tokens for ``endpoint``, or raise :class:`~integrations.line.LineRetryableError`.

    ``allowance`` is a batch's tokens taken ahead (dispatch); without one a token is taken on
    its own. Raises when no token came within ``max_wait`` or when the shared bucket (Redis)
    does not answer: in both cases nothing may be sent, and the request is to be retried.
    """
    if endpoint not in _SENDERS:
        raise ValueError(f"unknown LINE endpoint {endpoint!r}; expected one of {sorted(_SENDERS)}")
    try:
        if allowance is not None:
            taken = allowance.acquire(channel_id=channel_id, endpoint=endpoint, max_wait=max_wait)
        else:
            taken = ratelimit.acquire(channel_id=channel_id, endpoint=endpoint, max_wait=max_wait)
    except ratelimit.RateLimitUnavailable as exc:
        raise line.LineRetryableError(f"the shared rate limit is unreachable ({exc})", retry_after=5.0) from None
    if not taken:
        raise line.LineRetryableError("the channel's shared rate limit is exhausted", retry_after=1.0)


def line_send(endpoint: str, **request: Any) -> Any:
    """Send ``request`` to LINE's ``endpoint`` with its client function, a token already taken."""
    # Looked up at call time: the client module is the one seam unit tests patch.
    return getattr(line, _SENDERS[endpoint])(**request)


def line_send_limited(
    endpoint: str,
    *,
    channel_id: str,
    allowance: ratelimit.Allowance | None = None,
    max_wait: float = MAX_WAIT,
    **request: Any,
) -> Any:
    """Take a token (:func:`line_token_take`), then send (:func:`line_send`).

    Raises :class:`~integrations.line.LineRetryableError` when no token could be had (nothing
    was sent), and whatever the client raises otherwise. A caller that records "about to send"
    between the two (dispatch) calls them one after the other itself.
    """
    line_token_take(endpoint, channel_id=channel_id, allowance=allowance, max_wait=max_wait)
    return line_send(endpoint, **request)


def retry_is_safe(exc: line.LineError, *, retry_key: bool) -> bool:
    """Whether sending the same request again cannot reach the user twice.

    True when the client says nothing was accepted (:class:`~integrations.line.LineRetryableError`),
    or when LINE may have it but the request carries ``X-Line-Retry-Key`` (a push), so a repeat
    is answered 409 and not delivered again. A PNP (either kind) and a reply have no retry key.
    """
    if isinstance(exc, line.LineRetryableError):
        return True
    return retry_key and isinstance(exc, line.LineAmbiguousError)


__all__ = [
    "MAX_WAIT",
    "PNP",
    "PUSH",
    "REPLY",
    "TEMPLATED",
    "line_send",
    "line_send_limited",
    "line_token_take",
    "retry_is_safe",
]

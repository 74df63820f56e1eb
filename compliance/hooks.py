"""Where another app gives compliance what it cannot compute itself: the send figures.

The quality review suspends templates whose sends mostly fall back to SMS or lead to
blocks; those figures live in the notifications app, which compliance may not import.
The notifications app registers its provider in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TemplateSendStats:
    """Per-version send figures the notifications app computes for the quality review."""

    version_id: int
    sends: int
    sms_fallbacks: int
    line_deliveries_known_uid: int
    blocked_within_24h: int


SendStatsProvider = Callable[[datetime], Iterable[TemplateSendStats]]

_send_stats_providers: list[SendStatsProvider] = []


def send_stats_provider_register(provider: SendStatsProvider) -> SendStatsProvider:
    """Register a callable(since) → per-version send figures; registering it again changes nothing."""
    if provider not in _send_stats_providers:
        _send_stats_providers.append(provider)
    return provider


def send_stats_provider_unregister(provider: SendStatsProvider) -> None:
    """Remove a provider (tests that stand in their own figures)."""
    if provider in _send_stats_providers:
        _send_stats_providers.remove(provider)


def send_stats_providers() -> tuple[SendStatsProvider, ...]:
    """Return the registered providers, in the order they were registered."""
    return tuple(_send_stats_providers)


__all__ = [
    "SendStatsProvider",
    "TemplateSendStats",
    "send_stats_provider_register",
    "send_stats_provider_unregister",
    "send_stats_providers",
]

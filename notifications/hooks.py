"""Where other apps hook into the send pipeline without notifications importing them.

Two registries, filled by the apps' ``AppConfig.ready()`` (binding registers its bind link
and its welcome message here):

* **send-time variable providers** — a callable ``(brand, version, member, variables)`` that
  returns the variables with its own added (the bind link). Every provider runs, in
  registration order, before the variables are checked, so what it adds goes through the
  same rules as what the brand sent.
* **webhook event handlers** — several per LINE event type. Each returns ``(result, detail)``,
  the detail a :class:`~notifications.texts.Text` (a plain string is shown as it is);
  all of them run inside the transaction that marks the event processed, so an event is
  applied exactly once, by all or none. Unknown types are ignored, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.texts import Text, as_text, joined, text

Handler = Callable[[WebhookEvent], tuple[str, Text | str]]
VariableProvider = Callable[..., Mapping[str, Any]]

_handlers: dict[str, list[Handler]] = {}
_variable_providers: list[VariableProvider] = []


def handles(event_type: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as one of the handlers of ``event_type`` (once)."""

    def register(handler: Handler) -> Handler:
        handlers = _handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def handlers_for(event_type: str) -> tuple[Handler, ...]:
    """Return the handlers of an event type, in registration order."""
    return tuple(_handlers.get(event_type, ()))


def apply_event(event: WebhookEvent) -> tuple[str, Text]:
    """Apply one stored event with every handler of its type.

    The result is "applied" when any handler applied it, else the first handler's result;
    the details of all handlers are joined.
    """
    handlers = _handlers.get(event.event_type)
    if not handlers:
        return WebhookEventResult.IGNORED, text("webhook.type_unused", type=event.event_type)
    outcomes = [handler(event) for handler in handlers]
    results = [result for result, _detail in outcomes]
    result = WebhookEventResult.APPLIED if WebhookEventResult.APPLIED in results else results[0]
    return result, joined([as_text(detail) for _result, detail in outcomes])


def variable_provider_register(provider: VariableProvider) -> VariableProvider:
    """Register a send-time variable provider (once)."""
    if provider not in _variable_providers:
        _variable_providers.append(provider)
    return provider


def variables_provide(*, brand: Any, version: Any, member: Any, variables: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the request's variables with what every registered provider adds."""
    for provider in _variable_providers:
        variables = provider(brand=brand, version=version, member=member, variables=variables)
    return variables


__all__ = [
    "Handler",
    "VariableProvider",
    "apply_event",
    "handlers_for",
    "handles",
    "variable_provider_register",
    "variables_provide",
]

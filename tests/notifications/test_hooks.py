"""Other apps hook into the pipeline by registration: several handlers per event, variable providers."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from binding.links import fill_bind_link
from binding.services import welcome_follow_apply
from notifications import hooks
from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.services.deliveries import follow_event_apply
from notifications.texts import external


def _event(event_type: str) -> WebhookEvent:
    return WebhookEvent(
        event_type=event_type, event_id="e-1", occurred_at=datetime(2026, 12, 1, tzinfo=UTC), payload={}
    )


@pytest.fixture
def scratch_type() -> Iterator[str]:
    yield "x-test-event"
    hooks._handlers.pop("x-test-event", None)


def test_binding_registers_its_welcome_after_notifications_own_follow_handler() -> None:
    assert hooks.handlers_for("follow") == (follow_event_apply, welcome_follow_apply)
    assert fill_bind_link in hooks._variable_providers


def test_every_handler_of_a_type_runs_and_any_application_makes_the_event_applied(scratch_type: str) -> None:
    ran: list[str] = []

    @hooks.handles(scratch_type)
    def first(event: WebhookEvent) -> tuple[str, str]:
        ran.append("first")
        return WebhookEventResult.IGNORED, ""

    @hooks.handles(scratch_type)
    def second(event: WebhookEvent) -> tuple[str, str]:
        ran.append("second")
        return WebhookEventResult.APPLIED, "second applied"

    assert hooks.apply_event(_event(scratch_type)) == (WebhookEventResult.APPLIED, external("second applied"))
    assert ran == ["first", "second"]


def test_registering_a_handler_twice_runs_it_once(scratch_type: str) -> None:
    ran: list[int] = []

    def handler(event: WebhookEvent) -> tuple[str, str]:
        ran.append(1)
        return WebhookEventResult.APPLIED, "once"

    hooks.handles(scratch_type)(handler)
    hooks.handles(scratch_type)(handler)
    assert hooks.apply_event(_event(scratch_type)) == (WebhookEventResult.APPLIED, external("once"))
    assert ran == [1]


def test_an_event_type_nobody_handles_is_ignored_and_says_so() -> None:
    result, detail = hooks.apply_event(_event("beacon"))
    assert (result, detail.english(200)) == (WebhookEventResult.IGNORED, "type 'beacon' is not used")


def test_variable_providers_each_add_their_variables_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    def add_a(*, brand: object, version: object, member: object, variables: dict[str, str]) -> dict[str, str]:
        return {**variables, "a": "1"}

    def add_b(*, brand: object, version: object, member: object, variables: dict[str, str]) -> dict[str, str]:
        return {**variables, "b": variables["a"] + "2"}

    monkeypatch.setattr(hooks, "_variable_providers", [])
    hooks.variable_provider_register(add_a)
    hooks.variable_provider_register(add_b)
    hooks.variable_provider_register(add_a)
    assert hooks.variables_provide(brand=None, version=None, member=None, variables={"x": "0"}) == {
        "x": "0",
        "a": "1",
        "b": "12",
    }

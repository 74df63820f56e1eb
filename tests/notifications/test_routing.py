import pytest

from notifications.routing import plan_channels

PUSH, PNP, SMS = "line_push", "pnp", "sms"
ALL = (PUSH, PNP, SMS)


@pytest.mark.parametrize(
    ("open_channels", "template_channels", "urgency", "expected"),
    [
        # a bound, unblocked friend gets LINE push, never PNP
        ((PUSH, PNP, SMS), ALL, "a_day", (PUSH, SMS)),
        ((PUSH, PNP), ALL, "a_day", (PUSH,)),
        ((PUSH, PNP, SMS), ALL, "five_minutes", (PUSH, SMS)),
        ((PUSH, PNP, SMS), (PNP, SMS), "a_day", (SMS,)),
        # non-friends: PNP for notices that may take a day, SMS after it when consented
        ((PNP, SMS), ALL, "a_day", (PNP, SMS)),
        ((PNP, SMS), ALL, "more_than_a_day", (PNP, SMS)),
        ((PNP,), ALL, "a_day", (PNP,)),
        ((PNP, SMS), (PNP,), "a_day", (PNP,)),
        # urgent notices go by SMS
        ((PNP, SMS), ALL, "an_hour", (SMS,)),
        ((PNP, SMS), ALL, "five_minutes", (SMS,)),
        ((PNP,), ALL, "five_minutes", ()),
        # no PNP possible (no consent, fixed line, blocked...)
        ((SMS,), ALL, "a_day", (SMS,)),
        ((SMS,), (PNP,), "a_day", ()),
        ((), ALL, "a_day", ()),
    ],
)
def test_the_channel_plan_follows_the_routing_table(
    open_channels: tuple[str, ...], template_channels: tuple[str, ...], urgency: str, expected: tuple[str, ...]
) -> None:
    plan = plan_channels(
        open_channels=open_channels, closed_reasons={}, template_channels=template_channels, urgency=urgency
    )
    assert plan.channels == expected


def test_an_impossible_plan_says_why_for_each_channel() -> None:
    plan = plan_channels(
        open_channels=(PNP,),
        closed_reasons={SMS: "No SMS consent recorded."},
        template_channels=ALL,
        urgency="five_minutes",
    )
    assert not plan.possible
    assert plan.reasons[SMS] == "No SMS consent recorded."
    assert "urgent" in plan.reasons[PNP]

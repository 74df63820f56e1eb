"""The welcome on follow: queued once per LINE user and period, sent by reply or push."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from binding.choices import WelcomeStatus
from binding.models import BindingSettings, WelcomeMessage
from binding.services.welcome import period_start, welcome_on_follow, welcome_send, welcomes_requeue
from compliance.models import TemplateVersion
from integrations import line as line_client
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record, line_link_bind
from notifications.models import WebhookEvent
from portal.models import Brand

pytestmark = pytest.mark.django_db

UID = "U" + "f" * 32


def follow_event(brand: Brand, uid: str = UID, *, event_id: str = "E1", age: timedelta = timedelta()) -> WebhookEvent:
    return WebhookEvent.objects.create(
        brand=brand,
        event_id=event_id,
        event_type="follow",
        occurred_at=timezone.now() - age,
        payload={"type": "follow", "source": {"userId": uid}, "replyToken": f"reply-{event_id}"},
    )


class FakeLine:
    """Stands in for LINE's reply and push endpoints (the client module is the seam)."""

    def __init__(self, reply_error: Exception | None = None, display_name: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.reply_error = reply_error
        self.display_name = display_name

    def profile(self, **kwargs: Any) -> line_client.LineProfile | None:
        self.calls.append(("profile", kwargs))
        if self.display_name is None:
            return None  # LINE answers 404: not a friend any more
        return line_client.LineProfile(user_id=kwargs["user_id"], display_name=self.display_name)

    def reply(self, **kwargs: Any) -> None:
        self.calls.append(("reply", kwargs))
        if self.reply_error is not None:
            raise self.reply_error

    def push(self, **kwargs: Any) -> str:
        self.calls.append(("push", kwargs))
        return "request-id"


@pytest.fixture
def fake_line(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeLine]:
    def install(**kwargs: Any) -> FakeLine:
        fake = FakeLine(**kwargs)
        monkeypatch.setattr(line_client, "message_reply", fake.reply)
        monkeypatch.setattr(line_client, "message_push", fake.push)
        monkeypatch.setattr(line_client, "profile", fake.profile)
        return fake

    return install


def test_a_follow_processed_twice_or_repeated_in_the_period_queues_one_welcome(
    brand: Brand, binding_settings: BindingSettings
) -> None:
    event = follow_event(brand)

    first = welcome_on_follow(event)
    again = welcome_on_follow(event)
    later = welcome_on_follow(follow_event(brand, event_id="E2"))

    assert first is not None
    assert (again, later) == (None, None)
    assert WelcomeMessage.objects.count() == 1


def test_no_welcome_for_a_bound_uid_or_a_brand_without_a_welcome_template(
    brand: Brand, binding_settings: BindingSettings, make_member: Callable[..., Member]
) -> None:
    member = make_member("M1", "0912-345-678")
    consent = consent_record(
        member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source=ConsentSource.APP, actor="test"
    )
    line_link_bind(member=member, uid=UID, consent=consent, actor="test")

    assert welcome_on_follow(follow_event(brand)) is None
    binding_settings.welcome_template_code = ""
    binding_settings.save()
    assert welcome_on_follow(follow_event(brand, "U" + "1" * 32, event_id="E2")) is None
    assert not WelcomeMessage.objects.exists()


def test_periods_are_fixed_windows_of_the_configured_length() -> None:
    assert period_start(date(2026, 1, 1), 30) == date(2026, 1, 1)
    assert period_start(date(2026, 1, 30), 30) == date(2026, 1, 1)
    assert period_start(date(2026, 1, 31), 30) == date(2026, 1, 31)


def test_a_fresh_follow_is_answered_by_reply_with_the_rendered_template(
    brand: Brand,
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    fake_line: Callable[..., FakeLine],
) -> None:
    line = fake_line()
    welcome = welcome_on_follow(follow_event(brand))
    assert welcome is not None

    welcome_send(welcome_id=welcome.pk)
    welcome_send(welcome_id=welcome.pk)

    assert [kind for kind, _ in line.calls] == ["profile", "reply"]
    text = line.calls[1][1]["messages"][0]["text"]
    assert "朋友" in text and brand.name in text and "https://liff.line.me/1650000000-bind?token=f." in text
    welcome.refresh_from_db()
    assert (welcome.status, welcome.sent_via) == (WelcomeStatus.SENT, "reply")


def test_a_stale_or_refused_reply_token_falls_back_to_push_with_a_retry_key(
    brand: Brand,
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    fake_line: Callable[..., FakeLine],
) -> None:
    line = fake_line(reply_error=line_client.LineRequestError("Invalid reply token", status=400))
    stale = welcome_on_follow(follow_event(brand, age=timedelta(minutes=5)))
    refused = welcome_on_follow(follow_event(brand, "U" + "2" * 32, event_id="E2"))
    assert stale is not None and refused is not None

    welcome_send(welcome_id=stale.pk)
    welcome_send(welcome_id=refused.pk)

    sends = [(kind, call) for kind, call in line.calls if kind != "profile"]
    assert [kind for kind, _ in sends] == ["push", "reply", "push"]
    assert sends[0][1]["retry_key"] == str(stale.retry_key)
    assert set(WelcomeMessage.objects.values_list("sent_via", flat=True)) == {"push"}


def test_a_welcome_without_an_approved_template_is_skipped_with_the_reason(
    brand: Brand, binding_settings: BindingSettings, fake_line: Callable[..., FakeLine]
) -> None:
    line = fake_line()
    welcome = welcome_on_follow(follow_event(brand))
    assert welcome is not None

    welcome_send(welcome_id=welcome.pk)

    welcome.refresh_from_db()
    assert welcome.status == WelcomeStatus.SKIPPED
    assert "welcome_bind" in welcome.error
    assert line.calls == []


def test_a_welcome_left_waiting_is_enqueued_again(
    brand: Brand, binding_settings: BindingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr("binding.services.welcome._enqueue", enqueued.append)
    waiting = welcome_on_follow(follow_event(brand))
    sent = welcome_on_follow(follow_event(brand, "U" + "3" * 32, event_id="E2"))
    assert waiting is not None and sent is not None
    WelcomeMessage.objects.filter(pk=sent.pk).update(status=WelcomeStatus.SENT)

    assert welcomes_requeue() == 0  # too recent: its task may still be on its way
    assert welcomes_requeue(now=timezone.now() + timedelta(minutes=3)) == 1
    assert enqueued == [waiting.pk]


@pytest.mark.parametrize(
    ("display_name", "shown"),
    [
        ("王小明", "王小明"),  # LINE's display name for the friend
        # spaces trimmed, cut to LINE's 20 characters
        ("  陳大文　的超長名字啊啊啊啊啊啊啊啊啊啊啊啊啊啊  ", "陳大文　的超長名字啊啊啊啊啊啊啊啊啊啊啊"),
        (None, "朋友"),  # LINE gives no profile: the settings' name
        ("限時優惠全館五折", "朋友"),  # a name that reads like an offer fails the send-time checks
    ],
)
def test_the_welcome_names_the_friend_by_their_line_display_name_when_line_gives_one(
    brand: Brand,
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    fake_line: Callable[..., FakeLine],
    display_name: str | None,
    shown: str,
) -> None:
    line = fake_line(display_name=display_name)
    welcome = welcome_on_follow(follow_event(brand))
    assert welcome is not None

    welcome_send(welcome_id=welcome.pk)

    assert line.calls[0] == ("profile", {"access_token": brand.channel_access_token.reveal(), "user_id": UID})
    assert shown in line.calls[1][1]["messages"][0]["text"]


def test_a_line_template_chosen_as_the_welcome_is_skipped_with_the_reason_and_nothing_is_sent(
    brand: Brand,
    binding_settings: BindingSettings,
    approve_template: Callable[..., TemplateVersion],
    fake_line: Callable[..., FakeLine],
) -> None:
    # LINE's predefined templates exist only for PNP by phone number; a welcome goes by reply or push
    from tests.compliance.test_line_templates import LINE_TEMPLATE_CONTENT

    approve_template("welcome_bind", **LINE_TEMPLATE_CONTENT)
    line = fake_line(display_name="王小明")
    welcome = welcome_on_follow(follow_event(brand))
    assert welcome is not None

    welcome_send(welcome_id=welcome.pk)

    welcome.refresh_from_db()
    assert welcome.status == WelcomeStatus.SKIPPED
    assert "LINE template" in welcome.error
    assert [kind for kind, _ in line.calls if kind != "profile"] == []

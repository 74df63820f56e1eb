"""A timeline, a reason and a webhook detail read in the reader's language, whoever wrote them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from integrations import line as line_client
from members.models import Member
from notifications.choices import EventKind, NotificationStatus, WebhookEventResult
from notifications.models import Notification, NotificationEvent, WebhookEvent
from notifications.services import SendRequest, deliveries_expire, notification_accept, notifications_dispatch
from notifications.texts import render_text
from portal.models import Brand
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}
PAGE = "/admin/notifications/notification/{}/change/"

SENT_EN = "LINE answered 200; waiting for the delivery event"
SENT_ZH = "LINE 回應 200；等待送達事件"
EXPIRED_EN = "not delivered: no delivery event in 24 h (inferred: blocked, no consent or no SMS verification)"
EXPIRED_ZH = "未送達：24 小時內無送達事件（推定原因：已封鎖、未同意或未完成簡訊驗證）"


@pytest.fixture
def written_in(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], Notification]:
    """A PNP sent and then not delivered within 24 hours, every step run in ``language``."""
    approve_template("shipping_notice")
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")

    def write(language: str) -> Notification:
        make_member("M1", "0912-345-678")
        with translation.override(language):
            notification = notification_accept(
                brand=brand, request=SendRequest(template="shipping_notice", member="M1", variables=VARIABLES)
            )
            assert notifications_dispatch(notification_ids=[notification.pk]) == []
            assert deliveries_expire(now=timezone.now() + timedelta(days=2)) == 1
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.NOT_DELIVERED
        return notification

    return write


def _page(client: Client, user: User, notification: Notification, language: str) -> str:
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(PAGE.format(notification.pk), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("writer", "reader", "sent", "expired", "foreign"),
    [
        ("zh-hant", "en", SENT_EN, EXPIRED_EN, SENT_ZH),
        ("en", "zh-hant", SENT_ZH, EXPIRED_ZH, SENT_EN),
    ],
)
def test_the_page_reads_the_timeline_and_reason_in_the_readers_language(
    client: Client,
    manager: User,
    written_in: Callable[[str], Notification],
    writer: str,
    reader: str,
    sent: str,
    expired: str,
    foreign: str,
) -> None:
    notification = written_in(writer)
    body = _page(client, manager, notification, reader)
    assert sent in body and expired in body
    assert foreign not in body


@pytest.mark.parametrize(
    ("writer", "reader", "sent", "expired"),
    [("zh-hant", "en", SENT_EN, EXPIRED_EN), ("en", "zh-hant", SENT_ZH, EXPIRED_ZH)],
)
def test_the_api_reads_them_in_the_requests_language_with_their_codes(
    api_client: APIClient, written_in: Callable[[str], Notification], writer: str, reader: str, sent: str, expired: str
) -> None:
    notification = written_in(writer)
    body = api_client.get(f"/api/v1/notifications/{notification.pk}", HTTP_ACCEPT_LANGUAGE=reader).json()
    assert (body["final_reason"], body["final_reason_code"]) == (expired, "final.expired")
    lines = {line["kind"]: line for line in body["timeline"]}
    assert (lines[EventKind.SENT_TO_LINE]["detail"], lines[EventKind.SENT_TO_LINE]["detail_code"]) == (
        sent,
        "pnp.accepted",
    )
    listed = api_client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE=reader).json()
    [row] = listed["results"] if isinstance(listed, dict) else listed
    assert (row["final_reason"], row["final_reason_code"]) == (expired, "final.expired")


@pytest.mark.parametrize(
    ("writer", "reader", "sent", "expired"),
    [("zh-hant", "en", SENT_EN, EXPIRED_EN), ("en", "zh-hant", SENT_ZH, EXPIRED_ZH)],
)
def test_the_evidence_pack_reads_them_in_the_readers_language(
    client: Client,
    manager: User,
    written_in: Callable[[str], Notification],
    writer: str,
    reader: str,
    sent: str,
    expired: str,
) -> None:
    notification = written_in(writer)
    assert client.login(username=manager.username, password=PASSWORD)
    url = f"/admin/notifications/notification/{notification.pk}/evidence.json"
    pack = client.get(url, HTTP_ACCEPT_LANGUAGE=reader).json()
    assert (pack["notification"]["final_reason"], pack["notification"]["final_reason_code"]) == (
        expired,
        "final.expired",
    )
    details = {line["event"]: line["detail"] for line in pack["timeline"]}
    assert (details[EventKind.SENT_TO_LINE], details[EventKind.EXPIRED]) == (sent, expired)


def test_the_stored_wording_beside_the_code_is_english_whatever_the_writer_spoke(
    written_in: Callable[[str], Notification],
) -> None:
    notification = written_in("zh-hant")
    assert (notification.final_reason, notification.final_reason_code) == (EXPIRED_EN, "final.expired")
    line = notification.events.get(kind=EventKind.SENT_TO_LINE)
    assert (line.detail, line.detail_code, line.detail_params) == (SENT_EN, "pnp.accepted", {})


def test_a_channel_plan_reads_as_the_channels_names_in_the_readers_language() -> None:
    with translation.override("en"):
        plan = render_text("queued.plan", {"plan": "pnp → sms"})
        assert plan == "channel plan: LINE notification message (PNP) → SMS"
    with translation.override("zh-hant"):
        assert render_text("queued.plan", {"plan": "line_push → sms"}) == "發送管道順序：LINE 推播（好友） → 簡訊"
    with translation.override("en"):  # a channel retired since the line was written stays as written
        assert render_text("queued.plan", {"plan": "fax → sms"}) == "channel plan: fax → SMS"


# --- a code the catalogue does not know, or parameters that no longer fit -----------------------------------


def test_an_unknown_code_or_unfitting_parameters_show_the_stored_text() -> None:
    assert render_text("retired.code", {"n": 1}, "as it was stored") == "as it was stored"
    assert render_text("retry.gave_up", {"count": 3}, "gave up") == "gave up"
    assert render_text("retry.gave_up", {"n": "three", "error": "x"}, "gave up") == "gave up"
    assert render_text("list", {"items": "not a list"}, "joined") == "joined"
    assert render_text("", {}, "LINE 400: bad request") == "LINE 400: bad request"
    line = NotificationEvent(kind=EventKind.LINE_ERROR, detail="kept", detail_code="retired.code")
    assert line.detail_text == "kept"


def test_an_unknown_code_on_a_stored_row_shows_its_text_in_the_api(
    api_client: APIClient, written_in: Callable[[str], Notification]
) -> None:
    notification = written_in("en")
    Notification.objects.filter(pk=notification.pk).update(final_reason="in the old words", final_reason_code="gone")
    body = api_client.get(f"/api/v1/notifications/{notification.pk}", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    assert (body["final_reason"], body["final_reason_code"]) == ("in the old words", "gone")


# --- the rows written before codes ---------------------------------------------------------------------------


def _convert(monkeypatch: pytest.MonkeyPatch) -> None:
    migration = importlib.import_module("notifications.migrations.0013_texts_as_codes")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches, and groups within a batch
    migration.texts_to_codes(apps, None)


def test_the_migration_gives_old_english_and_chinese_texts_their_codes_and_leaves_the_rest(
    monkeypatch: pytest.MonkeyPatch, written_in: Callable[[str], Notification], brand: Brand
) -> None:
    notification = written_in("en")
    # As the portal wrote them before codes: the text only, in the worker's language.
    NotificationEvent.objects.filter(notification=notification).delete()
    old = [
        (EventKind.QUEUED, "channel plan: pnp → sms"),
        (EventKind.SENT_TO_LINE, SENT_ZH),
        (EventKind.SENT_TO_LINE, SENT_EN),
        (EventKind.DELIVERED, "LINE 通知型訊息（PNP）"),
        (EventKind.FALLBACK_DUE, "240 分鐘內無送達事件；改發簡訊"),
        (EventKind.DELIVERED_TWICE, "簡訊 也已送達；會員可能收到兩次通知"),
        (EventKind.LINE_ERROR, "LINE 400: The request body has 1 error(s)"),
        (EventKind.DELIVERED, "not a channel"),
    ]
    lines = NotificationEvent.objects.bulk_create(
        NotificationEvent(notification=notification, kind=kind, detail=detail) for kind, detail in old
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.FAILED, final_reason="簡訊未送達：EXPIRED", final_reason_code=""
    )
    other = Notification.objects.get(pk=notification.pk)
    other.pk = None
    other.final_reason = "the vendor's own words"
    other.save()
    hooks = WebhookEvent.objects.bulk_create(
        WebhookEvent(brand=brand, event_id=f"e{n}", event_type="x", occurred_at=timezone.now(), payload={}, **row)
        for n, row in enumerate(
            [
                {"result": WebhookEventResult.APPLIED, "detail": f"notification {notification.pk} delivered"},
                {"result": WebhookEventResult.APPLIED, "detail": "Ub123456… follows; welcome queued"},
                {"result": WebhookEventResult.UNMATCHED, "detail": "no PNP with delivery tag 'tag-1'"},
                {"result": WebhookEventResult.FAILED, "detail": "KeyError: 'delivery'"},
            ]
        )
    )

    _convert(monkeypatch)

    converted = {line.pk: (line.detail_code, line.detail_params) for line in NotificationEvent.objects.all()}
    assert [converted[line.pk] for line in lines] == [
        ("queued.plan", {"plan": "pnp → sms"}),
        ("pnp.accepted", {}),
        ("pnp.accepted", {}),
        ("delivered.channel", {"channel": "pnp"}),
        ("fallback.due", {"m": 240}),
        ("delivered_twice.channel", {"channel": "sms"}),
        ("", {}),
        ("", {}),
    ]
    with translation.override("en"):
        shown = [line.detail_text for line in NotificationEvent.objects.order_by("pk")]
    assert shown == [
        "channel plan: LINE notification message (PNP) → SMS",
        SENT_EN,
        SENT_EN,
        "LINE notification message (PNP)",
        "no delivery event within 240 minutes; sending the SMS",
        "SMS delivered too; the member may have received the notice twice",
        "LINE 400: The request body has 1 error(s)",
        "not a channel",
    ]
    reasons = dict(Notification.objects.values_list("pk", "final_reason_code"))
    assert reasons == {notification.pk: "final.sms_not_delivered", other.pk: ""}
    with translation.override("en"):
        assert Notification.objects.get(pk=notification.pk).reason_text == "SMS not delivered: EXPIRED"
        assert Notification.objects.get(pk=other.pk).reason_text == "the vendor's own words"
    stored = {hook.pk: hook for hook in WebhookEvent.objects.all()}
    assert [(stored[h.pk].detail_code, stored[h.pk].detail_params) for h in hooks] == [
        ("webhook.delivered", {"id": notification.pk}),
        (
            "list",
            {
                "items": [
                    {"code": "webhook.follows", "params": {"uid": "Ub123456"}, "text": "Ub123456… follows"},
                    {"code": "welcome.queued", "params": {}, "text": "welcome queued"},
                ]
            },
        ),
        ("webhook.unmatched", {"tag": "tag-1"}),
        ("", {}),
    ]
    with translation.override("zh-hant"):
        assert stored[hooks[1].pk].detail_text == "Ub123456… 加入好友; 已排入歡迎訊息"
        assert stored[hooks[3].pk].detail_text == "KeyError: 'delivery'"


def test_the_migration_leaves_rows_that_have_a_code_alone(
    monkeypatch: pytest.MonkeyPatch, written_in: Callable[[str], Notification]
) -> None:
    notification = written_in("en")
    before: list[Any] = list(NotificationEvent.objects.values_list("pk", "detail", "detail_code", "detail_params"))
    _convert(monkeypatch)
    assert list(NotificationEvent.objects.values_list("pk", "detail", "detail_code", "detail_params")) == before
    assert Notification.objects.get(pk=notification.pk).final_reason_code == "final.expired"


@pytest.mark.parametrize(("reader", "shown"), [("en", "Ub123456… follows"), ("zh-hant", "Ub123456… 加入好友")])
def test_the_webhook_event_pages_read_the_portals_detail_in_the_readers_language(
    client: Client, manager: User, brand: Brand, reader: str, shown: str
) -> None:
    hook = WebhookEvent.objects.create(
        brand=brand,
        event_id="e-follow",
        event_type="follow",
        occurred_at=timezone.now(),
        payload={},
        result=WebhookEventResult.APPLIED,
        detail="Ub123456… follows",
        detail_code="webhook.follows",
        detail_params={"uid": "Ub123456"},
    )
    client.force_login(manager)
    listed = client.get("/admin/notifications/webhookevent/", HTTP_ACCEPT_LANGUAGE=reader).content.decode()
    page = client.get(f"/admin/notifications/webhookevent/{hook.pk}/change/", HTTP_ACCEPT_LANGUAGE=reader)
    assert shown in listed and shown in page.content.decode()

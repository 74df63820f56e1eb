"""From a statement day, the notifications behind it: each day's count opens the list of what it counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client

from billing.models import Statement
from billing.services import statement_generate
from notifications.models import Attempt, Notification
from notifications.stats import recompute
from portal.models import Brand
from tests.billing.conftest import taipei
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
LIST = "/admin/notifications/notification/"


def _delivered(
    notification: Notification, *, sent_at: datetime, delivered_at: datetime, accepted_at: datetime | None = None
) -> None:
    """Move a delivered PNP's acceptance (by default 2 s before its send), send and delivery; counts are rebuilt."""
    Attempt.objects.filter(notification=notification).update(sent_at=sent_at, delivered_at=delivered_at)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=accepted_at or sent_at - timedelta(seconds=2), delivered_at=delivered_at
    )


@pytest.fixture
def november(brand: Brand, finance: User, sent: Callable[..., Notification]) -> dict[str, Notification]:
    """Four PNP around the end of 30 November, where Taiwan days and LINE's JST days part."""
    made = {name: sent(name, f"0912-000-{i:03d}", delivered=True) for i, name in enumerate(("A", "B", "C", "D"))}
    # A: sent and delivered at 10:00 on 30 November (JST 11:00, the same day)
    _delivered(made["A"], sent_at=taipei("2026-11-30 10:00"), delivered_at=taipei("2026-11-30 10:00:05"))
    # B: sent 23:30 on 30 November Taiwan time, which is 00:30 on 1 December in JST
    _delivered(made["B"], sent_at=taipei("2026-11-30 23:30"), delivered_at=taipei("2026-11-30 23:30:04"))
    # C: sent 22:50 on 30 November (JST 23:50), delivered after Taiwan midnight
    _delivered(made["C"], sent_at=taipei("2026-11-30 22:50"), delivered_at=taipei("2026-12-01 00:20"))
    # D: on another day of the month altogether
    _delivered(made["D"], sent_at=taipei("2026-11-12 09:00"), delivered_at=taipei("2026-11-12 09:00:03"))
    recompute(brand_id=brand.pk)
    statement_generate(brand=brand, month=NOVEMBER, actor=finance)
    return made


def _links(client: Client, brand: Brand) -> dict[str, str]:
    statement = Statement.objects.get(brand=brand)
    page = client.get(f"/admin/billing/statement/{statement.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    hrefs = re.findall(r'href="([^"]*(?:delivered_on|line_day)=[^"]*)"', page.content.decode())
    return {re.search(r"(delivered_on|line_day)=([\d-]+)", unescape(h)).group(0): unescape(h) for h in hrefs}  # type: ignore[union-attr]


def _listed(client: Client, url: str) -> set[str]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return {n.member.external_id for n in response.context["cl"].result_list}


def test_each_days_count_opens_exactly_the_notifications_it_counts(
    client: Client, brand: Brand, finance: User, november: dict[str, Notification]
) -> None:
    statement = Statement.objects.get(brand=brand)
    taiwan = {d.day: d.pnp_delivered for d in statement.days.all()}
    jst = {d.jst_date: d.portal_count for d in statement.reconciliation.all()}
    assert client.login(username=finance.username, password=PASSWORD)

    links = _links(client, brand)

    # the Taiwan day 30 November: A and B were delivered on it; C after midnight
    assert taiwan[date(2026, 11, 30)] == 2
    assert _listed(client, links["delivered_on=2026-11-30"]) == {"A", "B"}
    assert _listed(client, links["delivered_on=2026-11-12"]) == {"D"}
    # LINE's JST day 30 November counts by send time: A and C; B was sent on JST 1 December
    assert jst[date(2026, 11, 30)] == 2
    assert _listed(client, links["line_day=2026-11-30"]) == {"A", "C"}
    # a day without deliveries has no link, and no day links to nothing
    assert "delivered_on=2026-11-01" not in links and "line_day=2026-11-01" not in links
    for key, url in links.items():
        assert len(_listed(client, url)) == (
            taiwan[date.fromisoformat(key[-10:])]
            if key.startswith("delivered_on")
            else jst[date.fromisoformat(key[-10:])]
        ), key


def test_the_list_says_which_day_it_shows_and_refuses_a_malformed_day(
    client: Client, brand: Brand, finance: User, november: dict[str, Notification]
) -> None:
    assert client.login(username=finance.username, password=PASSWORD)
    body = client.get(LIST, {"line_day": "2026-11-30"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "PNP LINE counts on 2026-11-30 (JST, by send time)" in body and "Show all days" in body
    body = client.get(
        LIST, {"delivered_on": "2026-11-30", "via": "pnp"}, HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "2026-11-30" in body and "顯示所有日期" in body
    response = client.get(LIST, {"delivered_on": "30/11/2026"}, HTTP_ACCEPT_LANGUAGE="en")
    assert list(response.context["cl"].result_list) == []
    assert "Delivered on: 30/11/2026 is not a day; write it as YYYY-MM-DD" in response.content.decode()
    response = client.get(LIST, {"delivered_on": "2026-11-30", "via": "fax"}, HTTP_ACCEPT_LANGUAGE="en")
    assert list(response.context["cl"].result_list) == []
    assert "Channel: fax is not one of" in response.content.decode()


def test_another_brands_manager_finds_nothing_behind_this_brands_day(
    client: Client, brand: Brand, other_manager: User, november: dict[str, Notification]
) -> None:
    assert client.login(username=other_manager.username, password=PASSWORD)
    for params in (
        {"line_day": "2026-11-30"},
        {"delivered_on": "2026-11-30"},
        {"brand__id__exact": str(brand.pk), "delivered_on": "2026-11-30"},
    ):
        response = client.get(LIST, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert list(response.context["cl"].result_list) == []


def test_a_delivery_stamped_by_lines_clock_before_its_acceptance_is_still_behind_its_day(
    client: Client, brand: Brand, finance: User, sent: Callable[..., Notification]
) -> None:
    # Accepted just after Taiwan midnight by the portal's clock, sent and delivered according
    # to LINE's clock a moment before it: LINE's timestamp decides the day it is counted on.
    late = sent("E", "0912-000-101", delivered=True)
    _delivered(
        late,
        accepted_at=taipei("2026-12-01 00:00:00.300"),
        sent_at=taipei("2026-11-30 23:59:59.800"),
        delivered_at=taipei("2026-11-30 23:59:59.900"),
    )
    assert client.login(username=finance.username, password=PASSWORD)

    assert _listed(client, f"{LIST}?delivered_on=2026-11-30&via=pnp") == {"E"}
    assert _listed(client, f"{LIST}?line_day=2026-12-01") == {"E"}  # 23:59:59 in Taipei is 00:59:59 JST


def test_the_list_is_newest_first_by_acceptance(
    client: Client, finance: User, november: dict[str, Notification]
) -> None:
    assert client.login(username=finance.username, password=PASSWORD)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    # D was created first but accepted on 12 November: ids do not give the order, acceptance does
    assert [n.member.external_id for n in response.context["cl"].result_list] == ["B", "C", "A", "D"]

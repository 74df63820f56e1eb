"""GET /v2/bot/message/delivery/pnp: JST days, unready, out_of_service, bad dates, forced statuses."""

import pytest

from .conftest import PHONES, new_tag, phone_hash

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])
AUTH = {"Authorization": "Bearer token-acme"}


def count(sandbox, day, headers=AUTH):
    return sandbox.get(
        "/v2/bot/message/delivery/pnp", params={"date": day} if day is not None else None, headers=headers
    )


def test_a_delivery_at_2330_taiwan_time_counts_on_the_next_jst_day(sandbox):
    # 2025-01-31 23:30 UTC+8 is 2025-02-01 00:30 JST
    sandbox.admin("/sandbox/clock/set", {"now": "2025-01-31T23:30:00+08:00"})
    assert sandbox.pnp(OK, tag=new_tag()).status_code == 200
    # 2025-01-31 22:30 UTC+8 is still 2025-01-31 JST
    sandbox.admin("/sandbox/clock/set", {"now": "2025-01-31T22:30:00+08:00"})
    assert sandbox.pnp(OK, tag=new_tag()).status_code == 200
    sandbox.pnp(OK, tag=new_tag(), token="token-globex")  # another channel's count
    assert count(sandbox, "20250201").json() == {"status": "unready"}
    sandbox.advance(3 * 86400)
    assert count(sandbox, "20250131").json() == {"status": "ready", "success": 1}
    assert count(sandbox, "20250201").json() == {"status": "ready", "success": 1}
    assert count(sandbox, "20250130").json() == {"status": "ready", "success": 0}


def test_only_delivered_messages_are_counted(sandbox):
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T12:00:00+09:00"})
    sandbox.pnp(OK, tag=new_tag())
    sandbox.pnp(phone_hash(PHONES["blocked"]), tag=new_tag())
    sandbox.pnp(phone_hash(PHONES["unset_never"]), tag=new_tag())
    sandbox.pnp(phone_hash(PHONES["off"]), tag=new_tag())
    sandbox.advance(2 * 86400)
    assert count(sandbox, "20250310").json() == {"status": "ready", "success": 1}


def test_today_and_later_are_unready(sandbox):
    today = sandbox.get("/sandbox/clock").json()["jst_date"]
    assert count(sandbox, today).json() == {"status": "unready"}
    assert count(sandbox, "29991231").json() == {"status": "unready"}


def test_dates_before_2018_03_31_are_out_of_service(sandbox):
    assert count(sandbox, "20180330").json() == {"status": "out_of_service"}
    assert count(sandbox, "20180331").json() == {"status": "ready", "success": 0}


@pytest.mark.parametrize("day", ["2025-01-01", "2025011", "20251301", "20250230", "abcdefgh", "", None])
def test_a_bad_or_missing_date_is_refused_with_400(sandbox, day):
    response = count(sandbox, day)
    assert response.status_code == 400
    assert response.json() == {"message": "The value for the 'date' parameter is invalid"}


def test_the_count_needs_a_valid_token(sandbox):
    assert count(sandbox, "20250101", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_forced_status_can_be_injected_for_a_date(sandbox):
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20250105", "status": "unavailable_for_privacy"})
    assert count(sandbox, "20250105").json() == {"status": "unavailable_for_privacy"}
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20250105", "status": None})
    assert count(sandbox, "20250105").json() == {"status": "ready", "success": 0}

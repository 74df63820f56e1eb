import time
from collections.abc import Callable

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from members.models import Member
from portal.paginators import EstimatedCountPaginator


@pytest.mark.postgres
def test_a_filtered_count_is_exact_below_the_cap_and_estimated_above_it(
    make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(6):
        make_member(f"M{n}", f"09123456{n:02d}")
    queryset = Member.objects.filter(phone_type="mobile").order_by("-id")
    assert EstimatedCountPaginator(queryset, 2).count == 6
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 3)
    with CaptureQueriesContext(connection) as queries:
        estimate = EstimatedCountPaginator(queryset, 2).count
    assert estimate >= 4  # the cap was reached: no full count, the planner's estimate instead
    assert not any(q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "members_member"') for q in queries)
    skip = ("SAVEPOINT", "statement_timeout", "pg_class")  # the budget's bookkeeping, the table's size
    work = [q["sql"] for q in queries if not any(word in q["sql"] for word in skip)]
    assert len(work) == 2  # the capped count and the planner's estimate


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_count_slower_than_its_budget_is_estimated_and_the_request_goes_on_without_the_budget(
    make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        make_member(f"M{n}", f"09123456{n:02d}")
    # A filter that takes 0.2 s per row, as a filter no index answers does over millions of rows.
    slow = Member.objects.extra(where=["pg_sleep(0.2) IS NOT NULL"]).order_by("-id")
    monkeypatch.setattr(EstimatedCountPaginator, "count_budget_ms", 100)
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from_rows", 0)  # any table counts as large
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            estimate = EstimatedCountPaginator(slow, 2).count
        assert any(q["sql"].startswith("EXPLAIN") for q in queries)  # the planner's estimate, not the count
        assert estimate >= 0
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"  # the budget applied to the count only
            cursor.execute("SELECT pg_sleep(0.3)")  # ...so a slower statement after it still runs
    assert EstimatedCountPaginator(Member.objects.filter(phone_type="mobile"), 2).count == 3


@pytest.mark.postgres
def test_a_failing_count_is_not_taken_for_a_slow_one(make_member: Callable[..., Member]) -> None:
    broken = Member.objects.extra(where=["1 / 0 = 1"])
    with pytest.raises(DataError):
        EstimatedCountPaginator(broken, 2).count  # noqa: B018


@pytest.mark.postgres
def test_on_a_large_table_a_filter_the_planner_puts_above_the_cap_is_not_counted(
    make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(6):
        make_member(f"M{n}", f"09123456{n:02d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    queryset = Member.objects.filter(phone_type="mobile").order_by("-id")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 3)
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from_rows", 5)  # six rows: "large"
    with CaptureQueriesContext(connection) as queries:
        estimate = EstimatedCountPaginator(queryset, 2).count
    assert estimate == 6  # the planner's figure, from fresh statistics
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in queries)
    # a filter the planner puts under the cap is counted exactly
    assert EstimatedCountPaginator(Member.objects.filter(external_id="M1"), 2).count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_budget_ends_with_the_count_and_needs_no_restoring(
    make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        make_member(f"M{n}", f"09123456{n:02d}")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from_rows", 0)  # any table counts as large
    assert not connection.in_atomic_block  # as an admin request runs (ATOMIC_REQUESTS is off)
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(Member.objects.filter(phone_type="mobile"), 2).count == 3
    assert not any(q["sql"].startswith(("SHOW", "BEGIN", "SAVEPOINT")) for q in queries)  # nothing to read back
    monkeypatch.setattr(EstimatedCountPaginator, "count_budget_ms", 100)
    slow = Member.objects.extra(where=["pg_sleep(0.2) IS NOT NULL"]).order_by("-id")
    started = time.monotonic()
    EstimatedCountPaginator(slow, 2).count  # noqa: B018
    assert time.monotonic() - started < 0.5  # three rows take 0.6 s: the budget stopped the count
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # the budget ended with its transaction
        cursor.execute("SELECT pg_sleep(0.3)")

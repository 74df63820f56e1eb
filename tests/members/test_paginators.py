from collections.abc import Callable

import pytest
from django.db import connection
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
    assert len(queries.captured_queries) == 2

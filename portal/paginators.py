"""A paginator that never counts a million rows to draw a page."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.utils.functional import cached_property

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


class EstimatedCountPaginator(Paginator):
    """Count exactly up to ``exact_below`` rows and within ``count_budget_ms``; beyond either, estimate.

    Unfiltered: ``pg_class.reltuples`` (under a millisecond). Filtered, on a table of at least
    ``estimate_from_rows`` rows: the planner's row estimate first (a few milliseconds), kept when
    it is above ``exact_below``, for a filter no index answers can read millions of rows to count
    a few thousand. Otherwise a count capped at ``exact_below + 1`` rows (``LIMIT`` inside the
    count) and stopped by PostgreSQL after ``count_budget_ms``; when the cap or the budget is
    reached, the estimate. A smaller table is always counted (its statistics may not exist yet,
    and counting it is cheap). The page itself reads only its own rows. Other databases count
    exactly (they hold test and demo data).
    """

    exact_below = 10_000
    count_budget_ms = 50
    estimate_from_rows = 1_000_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset: Any = self.object_list
        connection = connections[getattr(queryset, "db", "default")]
        if connection.vendor != "postgresql" or not hasattr(queryset, "query"):
            return super().count
        table_rows = self._reltuples(connection, queryset.model._meta.db_table)
        if not queryset.query.where and table_rows >= self.exact_below:
            return table_rows
        estimate = None
        if table_rows >= self.estimate_from_rows:
            estimate = self._planner_estimate(connection, queryset)
            if estimate > self.exact_below:
                return estimate
            capped = self._capped_count(connection, queryset)
        else:  # a small table: counted at once, no budget needed
            capped = int(queryset.order_by().values("pk")[: self.exact_below + 1].count())
        if capped is not None and capped <= self.exact_below:
            return capped
        return max(capped or 0, estimate if estimate is not None else self._planner_estimate(connection, queryset))

    def _capped_count(self, connection: Any, queryset: Any) -> int | None:
        """The count up to the cap, or None when it takes longer than the budget."""
        if connection.in_atomic_block:
            return self._capped_count_in_transaction(connection, queryset)
        # Outside a transaction (an admin request: ATOMIC_REQUESTS is off) the budget is set for the
        # session and reset after the count, canceled or not: three statements, no BEGIN or COMMIT.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{self.count_budget_ms}ms"])
            try:
                return int(queryset.order_by().values("pk")[: self.exact_below + 1].count())
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) != QUERY_CANCELED:
                    raise
                return None
            finally:
                cursor.execute("RESET statement_timeout")

    def _capped_count_in_transaction(self, connection: Any, queryset: Any) -> int | None:
        """The same inside the caller's transaction: a savepoint, and the setting put back."""
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                previous = cursor.fetchone()[0]
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{self.count_budget_ms}ms"])
                capped = int(queryset.order_by().values("pk")[: self.exact_below + 1].count())
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
        except OperationalError as exc:  # canceled by the budget; the savepoint restored the setting
            if getattr(exc.__cause__, "sqlstate", None) != QUERY_CANCELED:
                raise
            return None
        return capped

    @staticmethod
    def _reltuples(connection: Any, table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        return max(0, int(row[0])) if row else 0

    @staticmethod
    def _planner_estimate(connection: Any, queryset: Any) -> int:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

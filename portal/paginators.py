"""A paginator that never counts a million rows to draw a page."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Count exactly up to ``exact_below`` rows; beyond that, use PostgreSQL's estimate.

    Unfiltered: ``pg_class.reltuples`` (under a millisecond). Filtered: a count capped at
    ``exact_below + 1`` rows (``LIMIT`` inside the count, so at most that many index
    entries are read), then the planner's row estimate when the cap is reached. Other
    databases count exactly (they hold test and demo data).
    """

    exact_below = 10_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset: Any = self.object_list
        connection = connections[getattr(queryset, "db", "default")]
        if connection.vendor != "postgresql" or not hasattr(queryset, "query"):
            return super().count
        if not queryset.query.where:
            estimate = self._reltuples(connection, queryset.model._meta.db_table)
            if estimate >= self.exact_below:
                return estimate
        capped = int(queryset.order_by().values("pk")[: self.exact_below + 1].count())
        if capped <= self.exact_below:
            return capped
        return max(capped, self._planner_estimate(connection, queryset))

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

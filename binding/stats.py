"""Daily binding counts (Taiwan days): added in the transaction of the change they count."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from binding.models import BindingStat


def binding_stat_add(*, brand_id: int, metric: str, at: datetime | None = None, n: int = 1) -> None:
    """Add ``n`` to the brand's count of ``metric`` on the (Taiwan) day of ``at``; call inside the change."""
    day = timezone.localdate(at or timezone.now())
    table = BindingStat._meta.db_table
    # The table name is the model's own, never user input.
    insert = f"INSERT INTO {table} (brand_id, day, metric, count) VALUES (%s, %s, %s, %s)"  # noqa: S608
    sql = f"{insert} ON CONFLICT (brand_id, day, metric) DO UPDATE SET count = {table}.count + excluded.count"
    with connection.cursor() as cursor:
        cursor.execute(sql, [brand_id, day, metric, n])

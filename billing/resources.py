"""django-import-export resources: the statement lines and the reconciliation, as finance exports them."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources

from billing.models import ReconciliationDay, StatementLine
from portal.exports import FormulaSafeResource


class StatementLineResource(FormulaSafeResource):
    """One row per statement line (PNP per price period, SMS, adjustments) with the statement's header."""

    brand = fields.Field(attribute="statement__brand__slug", column_name="brand", readonly=True)
    month = fields.Field(column_name="month", readonly=True)
    version = fields.Field(attribute="statement__version", column_name="version", readonly=True)
    status = fields.Field(attribute="statement__status", column_name="status", readonly=True)
    statement_total = fields.Field(attribute="statement__total", column_name="statement_total_twd", readonly=True)
    adjusts = fields.Field(column_name="adjusts", readonly=True)

    class Meta:
        model = StatementLine
        fields = (
            "brand",
            "month",
            "version",
            "status",
            "position",
            "kind",
            "description",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "amount",
            "adjusts",
            "statement_total",
        )
        export_order = fields

    def dehydrate_month(self, line: StatementLine) -> str:
        return f"{line.statement.month:%Y-%m}"

    def dehydrate_adjusts(self, line: StatementLine) -> str:
        return str(line.adjusts) if line.adjusts_id else ""

    def get_queryset(self) -> Any:
        return StatementLine.objects.select_related("statement__brand", "adjusts__brand")


class ReconciliationDayResource(FormulaSafeResource):
    """One row per JST day: the portal's delivered PNP, LINE's count, the billed figure and any explanation."""

    brand = fields.Field(attribute="statement__brand__slug", column_name="brand", readonly=True)
    month = fields.Field(column_name="month", readonly=True)
    version = fields.Field(attribute="statement__version", column_name="version", readonly=True)
    explained_by = fields.Field(attribute="explained_by__username", column_name="explained_by", readonly=True)

    class Meta:
        model = ReconciliationDay
        fields = (
            "brand",
            "month",
            "version",
            "jst_date",
            "portal_count",
            "line_status",
            "line_count",
            "difference",
            "flagged",
            "billed_count",
            "unit_price",
            "reason",
            "note",
            "explained_by",
            "explained_at",
        )
        export_order = fields

    def dehydrate_month(self, day: ReconciliationDay) -> str:
        return f"{day.statement.month:%Y-%m}"

    def get_queryset(self) -> Any:
        return ReconciliationDay.objects.select_related("statement__brand", "explained_by")


RESOURCES: dict[str, type[resources.ModelResource]] = {
    "statement": StatementLineResource,
    "reconciliation": ReconciliationDayResource,
}

"""django-import-export resources: the statement lines and the reconciliation, as finance exports them."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from billing.models import ReconciliationDay, StatementLine
from portal.exports import FormulaSafeResource


class StatementLineResource(FormulaSafeResource):
    """One row per statement line (PNP per price period, SMS, adjustments) with the statement's header."""

    brand = fields.Field(attribute="statement__brand__slug", column_name="brand", readonly=True)
    month = fields.Field(column_name="month", readonly=True)
    version = fields.Field(
        attribute="statement__version", column_name="version", readonly=True, widget=widgets.IntegerWidget()
    )
    status = fields.Field(attribute="statement__status", column_name="status", readonly=True)
    statement_total = fields.Field(
        attribute="statement__total", column_name="statement_total_twd", readonly=True, widget=widgets.DecimalWidget()
    )
    statement_tax = fields.Field(
        attribute="statement__tax", column_name="statement_tax_twd", readonly=True, widget=widgets.DecimalWidget()
    )
    statement_gross = fields.Field(
        attribute="statement__gross", column_name="statement_gross_twd", readonly=True, widget=widgets.DecimalWidget()
    )
    buyer_tax_id = fields.Field(column_name="buyer_tax_id", readonly=True)
    buyer_legal_name = fields.Field(column_name="buyer_legal_name", readonly=True)
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
            "statement_tax",
            "statement_gross",
            "buyer_tax_id",
            "buyer_legal_name",
        )
        export_order = fields

    def dehydrate_month(self, line: StatementLine) -> str:
        return f"{line.statement.month:%Y-%m}"

    def _buyer(self, line: StatementLine) -> tuple[str, str]:
        """The buyer frozen on a finalised statement, else the brand's billing profile as it is now."""
        statement = line.statement
        if statement.buyer_tax_id:
            return statement.buyer_tax_id, statement.buyer_legal_name
        profile = getattr(statement.brand, "billing_profile", None)
        return (profile.tax_id, profile.legal_name) if profile is not None else ("", "")

    def dehydrate_buyer_tax_id(self, line: StatementLine) -> str:
        return self._buyer(line)[0]

    def dehydrate_buyer_legal_name(self, line: StatementLine) -> str:
        return self._buyer(line)[1]

    def dehydrate_adjusts(self, line: StatementLine) -> str:
        return str(line.adjusts) if line.adjusts_id else ""

    def get_queryset(self) -> Any:
        return StatementLine.objects.select_related("statement__brand__billing_profile", "adjusts__brand")


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

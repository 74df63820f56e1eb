"""Spreadsheet exports that a spreadsheet cannot turn into formulas (CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula: a member named ``=HYPERLINK(...)`` would
run in finance's spreadsheet. Such text gets a leading apostrophe, which every spreadsheet
shows as text and hides; numbers written as text (``-5``, ``+886912345678``) stay as they are.
Every export of the portal (django-import-export resources, billing's streamed files, the
admin's CSV actions) goes through :func:`formula_safe`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from import_export import resources

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """Return ``value``, with an apostrophe before text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            Decimal(value.strip())
        except InvalidOperation:
            return "'" + value
        if value.strip() != value:  # "-1\t" is no number to a spreadsheet
            return "'" + value
    return value


class FormulaSafeResource(resources.ModelResource):
    """A django-import-export resource whose every exported cell goes through :func:`formula_safe`."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return formula_safe(super().export_field(field, instance, **kwargs))


__all__ = ["FORMULA_STARTS", "FormulaSafeResource", "formula_safe"]

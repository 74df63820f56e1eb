"""Forms of the billing admin pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from billing.choices import ExplanationReason, InvoiceDifferenceReason
from billing.models import LineInvoice
from billing.periods import parse_month
from portal.models import Brand

MAX_DASHBOARD_DAYS = 400


class DashboardForm(forms.Form):
    brand = forms.ModelChoiceField(
        queryset=Brand.objects.none(),
        required=False,
        empty_label=_("All my brands"),
        label=_("Brand"),
        to_field_name="slug",
    )
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, brands: QuerySet[Brand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end date must be on or after the start date."))
            elif (last - first).days >= MAX_DASHBOARD_DAYS:
                self.add_error("first", _("Choose at most %(n)d days.") % {"n": MAX_DASHBOARD_DAYS})
        return data

    @staticmethod
    def default_period(today: date) -> tuple[date, date]:
        return today - timedelta(days=29), today


class MonthField(forms.Field):
    """A Taiwan calendar month typed as YYYY-MM; cleans to the month's first day."""

    widget = forms.TextInput(attrs={"placeholder": "2026-01", "size": 8})

    def to_python(self, value: Any) -> date | None:
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-01.")) from None


class GenerateForm(forms.Form):
    month = MonthField(label=_("Month (YYYY-MM, Taiwan calendar)"))
    brand = forms.ModelChoiceField(
        queryset=Brand.objects.filter(is_active=True),
        required=False,
        empty_label=_("Every active brand"),
        label=_("Brand"),
    )


class ExplainForm(forms.Form):
    reason = forms.ChoiceField(choices=ExplanationReason.choices, label=_("Reason"))
    note = forms.CharField(label=_("Note"), max_length=500)


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for voiding"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Reason for voiding"), "size": 28, "required": True}),
    )


class InvoiceExplainForm(forms.Form):
    invoice_reason = forms.ChoiceField(choices=InvoiceDifferenceReason.choices, label=_("Reason"))
    invoice_note = forms.CharField(label=_("Note"), max_length=500)


class MonthExportForm(forms.Form):
    month = MonthField(label=_("Month (YYYY-MM, Taiwan calendar)"))
    fmt = forms.ChoiceField(choices=(("csv", "CSV"), ("xlsx", "XLSX")), label=_("Format"))


class LineInvoiceForm(forms.ModelForm):
    """LINE's invoice as finance types it in: the month as YYYY-MM, amounts in whole TWD."""

    month = MonthField(label=_("Month (YYYY-MM, Taiwan calendar)"))
    invoice_number = forms.CharField(
        label=_("invoice number"), max_length=12, help_text=_("As on LINE's invoice, e.g. AB-12345678.")
    )

    class Meta:
        model = LineInvoice
        fields = ("brand", "month", "invoice_number", "invoice_date", "net", "tax", "gross", "message_count")
        widgets = {"invoice_date": forms.DateInput(attrs={"type": "date"})}

    def clean_invoice_number(self) -> str:
        return str(self.cleaned_data["invoice_number"]).strip().upper().replace("-", "")

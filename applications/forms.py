"""Forms of the application tracker's admin pages (moves, corrections)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationDocument

EFFECTIVE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


def now_input() -> str:
    """Return now in Taipei as a ``datetime-local`` value."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class MoveForm(forms.Form):
    """When the move happened, what backs it, and a note; back-dated moves need evidence."""

    to_stage = forms.CharField(required=False, widget=forms.HiddenInput)
    effective_at = forms.DateTimeField(
        label=_("Effective date"),
        input_formats=EFFECTIVE_FORMATS,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When it happened, e.g. when LINE's e-mail arrived. Empty: now."),
        error_messages={"invalid": _("Effective date: enter when the move happened as YYYY-MM-DD HH:MM.")},
    )
    note = forms.CharField(label=_("Note for the timeline"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.ModelChoiceField(
        label=_("Evidence on file"), queryset=ApplicationDocument.objects.none(), required=False
    )
    evidence_file = forms.FileField(label=_("Or upload LINE's e-mail"), required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["evidence"].queryset = application.documents.order_by("kind", "-version")  # type: ignore[attr-defined]
        self.fields["effective_at"].widget.attrs["max"] = now_input()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        effective = cleaned.get("effective_at")
        if effective is not None:
            # The field holds minutes only: the "now" it was filled with, or the minute the current
            # stage began, stands for that moment rather than for its first second.
            entered = self.application.stage_entered_at
            if abs((timezone.now() - effective).total_seconds()) < 120:
                effective = cleaned["effective_at"] = None
            elif entered and effective <= entered < effective + timedelta(minutes=1):
                effective = cleaned["effective_at"] = entered
        back_dated = effective is not None and timezone.localdate(effective) < timezone.localdate()
        has_evidence = cleaned.get("evidence") or cleaned.get("evidence_file") or (cleaned.get("note") or "").strip()
        if back_dated and not has_evidence:
            self.add_error(
                "note",
                _("Evidence: a back-dated move needs LINE's e-mail or a note saying where the date comes from."),
            )
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return ""

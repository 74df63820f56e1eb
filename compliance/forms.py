"""Admin forms of template review: the author's content form and the reviewer's decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from compliance.advertising import COPY_MAX_LENGTH
from compliance.choices import ChangeReason, Channel, TemplateKind, UseCase, VariableType
from compliance.models import CONTENT_FIELDS, MessageTemplate, TemplateVersion


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("brand", "code", "name", "use_case", "new_use_case_description", "language")


class TemplateVersionForm(forms.ModelForm):
    """The content an author writes; the guideline rules run on it when it is submitted."""

    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = TemplateVersion
        fields = CONTENT_FIELDS
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6, "cols": 80}),
            "sms_text": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "variables": forms.Textarea(attrs={"rows": 6, "cols": 80, "class": "vLargeTextField monospace"}),
            "flex_json": forms.Textarea(attrs={"rows": 8, "cols": 80, "class": "vLargeTextField monospace"}),
            "line_items": forms.Textarea(attrs={"rows": 6, "cols": 80, "class": "vLargeTextField monospace"}),
            "line_buttons": forms.Textarea(attrs={"rows": 3, "cols": 80, "class": "vLargeTextField monospace"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.flex_json is None and "flex_json" in self.fields:
            self.initial["flex_json"] = InvalidJSONInput("")  # an empty box, not the word "null"
        # A form posted without the LINE template fields is a flexible message, as before they existed.
        for name in ("kind", "line_items", "line_buttons"):
            if name in self.fields:
                self.fields[name].required = False

    def clean_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or TemplateKind.FLEXIBLE)

    def clean_line_items(self) -> list[Any]:
        return self.cleaned_data.get("line_items") or []

    def clean_line_buttons(self) -> list[Any]:
        return self.cleaned_data.get("line_buttons") or []

    def _clean_newlines(self, name: str) -> str:
        # Browsers post CRLF; stored text uses LF so lengths and SMS segments count as members see them.
        return str(self.cleaned_data.get(name) or "").replace("\r\n", "\n")

    def clean_text(self) -> str:
        return self._clean_newlines("text")

    def clean_sms_text(self) -> str:
        return self._clean_newlines("sms_text")

    def clean_variables(self) -> list[dict[str, Any]]:
        value = self.cleaned_data.get("variables") or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise forms.ValidationError(
                _(
                    "Give a list of objects, e.g. "
                    '[{"name": "order_id", "type": "text", "max_length": 20, "sample": "A1"}].'
                )
            )
        for item in value:
            if "name" not in item or "type" not in item:
                raise forms.ValidationError(_("Every variable needs a name and a type."))
            if item["type"] not in VariableType.values:
                raise forms.ValidationError(
                    _("Unknown type %(type)s; use one of %(types)s.")
                    % {"type": item["type"], "types": ", ".join(VariableType.values)}
                )
        return value

    def clean_flex_json(self) -> dict[str, Any] | None:
        value = self.cleaned_data.get("flex_json")
        if value in (None, "", {}):
            return None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Paste one Flex bubble: {"type": "bubble", "body": {...}}.'))
        return value


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("changes", _("Request changes")), ("reject", _("Reject"))], required=False
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons"), choices=ChangeReason.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    comment = forms.CharField(
        label=_("Comment to the author"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CopyCheckForm(forms.Form):
    """Copy pasted to be checked for advertising before a template is written."""

    text = forms.CharField(
        label=_("Copy"),
        max_length=COPY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("The message as members would read it; at most 5,000 characters."),
    )
    use_case = forms.ChoiceField(
        label=_("Use case"),
        choices=[("", _("Any (no use case)")), *UseCase.choices],
        required=False,
        help_text=_("The use case of the template it is meant for: some wording is fine in one use case only."),
    )

"""Admin forms of template review: the author's content form and the reviewer's decision."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from compliance.advertising import COPY_MAX_LENGTH
from compliance.choices import FREE_TEXT_VARIABLE_TYPES, ChangeReason, Channel, TemplateKind, UseCase, VariableType
from compliance.models import CONTENT_FIELDS, MessageTemplate, TemplateVersion
from compliance.rules import VARIABLE_MAX_LENGTH

VARIABLE_COLUMNS = ("name", "type", "max_length", "sample")
VARIABLE_ROWS_MAX = 50


class VariableRowsWidget(forms.Widget):
    """The declared variables as rows (name, type, max length, sample), each row with its own errors.

    A post that carries the field as one JSON text (a script, an older page) is read as before.
    """

    template_name = "admin/compliance/widgets/variable_rows.html"
    extra_rows = 2

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.row_errors: dict[int, list[str]] = {}

    def format_value(self, value: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError:
                return []
        if not isinstance(value, list):
            return []
        return [row for row in value if isinstance(row, dict)]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = self.format_value(value)
        blank = dict.fromkeys(VARIABLE_COLUMNS, "")
        shown = [*rows, *[dict(blank) for _ in range(self.extra_rows)]]
        context["widget"]["rows"] = [
            {
                "index": index,
                **{column: "" if row.get(column) is None else row.get(column) for column in VARIABLE_COLUMNS},
                "errors": self.row_errors.get(index, []),
            }
            for index, row in enumerate(shown)
        ]
        context["widget"]["total"] = len(shown)
        context["widget"]["types"] = VariableType.choices
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if name in data:
            return data.get(name)
        try:
            total = min(int(data.get(f"{name}-TOTAL", 0)), VARIABLE_ROWS_MAX)
        except (TypeError, ValueError):
            total = 0
        return [
            {column: data.get(f"{name}-{index}-{column}", "") for column in VARIABLE_COLUMNS} for index in range(total)
        ]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}-TOTAL" not in data


class VariableRowsField(forms.Field):
    """Declared variables, from rows or one JSON text; bad rows get their error on the row."""

    widget = VariableRowsWidget

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        widget: VariableRowsWidget = self.widget  # type: ignore[assignment]
        widget.row_errors = {}
        if value in (None, ""):
            return []
        if isinstance(value, str):  # one JSON text
            try:
                value = json.loads(value)
            except ValueError as error:
                raise forms.ValidationError(
                    _("The variables are not valid JSON (%(error)s). Write each one in a row below instead.")
                    % {"error": error}
                ) from error
            return value  # type: ignore[no-any-return]  # its shape is checked by the form, as before
        rows, errors = [], {}
        seen: set[str] = set()
        for index, raw in enumerate(value):
            row = {column: str(raw.get(column, "")).strip() for column in VARIABLE_COLUMNS}
            if not any(row.values()):
                continue  # an empty row
            problems: list[Any] = []
            name = row["name"]
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
                problems.append(_("Name: lower-case letters, digits and _, starting with a letter (e.g. order_id)."))
            elif name in seen:
                problems.append(_("%(name)s is declared twice; keep one row.") % {"name": name})
            seen.add(name)
            if row["type"] not in VariableType.values:
                problems.append(_("Type: choose one from the list."))
            max_length: int | None = None
            if row["max_length"]:
                if row["max_length"].isdigit() and 0 < int(row["max_length"]) <= VARIABLE_MAX_LENGTH:
                    max_length = int(row["max_length"])
                else:
                    problems.append(_("Max length: a whole number from 1 to %(max)d.") % {"max": VARIABLE_MAX_LENGTH})
            elif row["type"] in FREE_TEXT_VARIABLE_TYPES:
                problems.append(_("Max length: required for text, code and URL variables."))
            if not row["sample"]:
                problems.append(_("Sample: give a value for the preview."))
            if problems:
                errors[index] = [str(problem) for problem in problems]
            variable: dict[str, Any] = {"name": name, "type": row["type"], "sample": row["sample"]}
            if max_length is not None:
                variable["max_length"] = max_length
            rows.append(variable)
        if errors:
            widget.row_errors = errors
            raise forms.ValidationError(
                _("%(n)d variable row(s) need a fix; see the messages on the rows.") % {"n": len(errors)}
            )
        return rows

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (initial or [])
        except forms.ValidationError:
            return True


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("brand", "code", "name", "use_case", "new_use_case_description", "language")


class TemplateVersionForm(forms.ModelForm):
    """The content an author writes; the guideline rules run on it when it is submitted."""

    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    variables = VariableRowsField(
        label=_("Variables"),
        required=False,
        help_text=_(
            "One row per {placeholder} in the texts. Max length bounds what a send may fill in "
            "(required for text, code and URL); the sample fills the preview. Empty rows are ignored."
        ),
    )

    class Meta:
        model = TemplateVersion
        fields = CONTENT_FIELDS
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6, "cols": 80}),
            "sms_text": forms.Textarea(attrs={"rows": 3, "cols": 80}),
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

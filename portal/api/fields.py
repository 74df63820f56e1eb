"""Serializer fields the whole API shares."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# A lone UTF-16 surrogate (``"\ud800"`` in JSON) is a valid JSON escape but no character:
# it cannot be encoded as UTF-8, so PostgreSQL refuses it in text and in jsonb (a 500).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    """Return the error code for a string that cannot be stored, or ``None`` if it can."""
    if "\x00" in text:
        return "null_characters_not_allowed"
    if _SURROGATE.search(text):
        return "surrogate_characters_not_allowed"
    return None


def _first_unstorable(value: Any) -> str | None:
    """Return the error code of the first string (or object key) in a JSON value that cannot be stored."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if code := _unstorable(item):
                return code
        elif isinstance(item, dict):
            for key in item:
                if code := _unstorable(str(key)):
                    return code
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class JSONValueField(serializers.JSONField):
    """A free-form JSON value whose strings can be stored: NULs and lone surrogates are refused.

    DRF's ``CharField`` refuses them already; a JSON value's strings are not checked by DRF,
    and PostgreSQL can store neither a NUL nor a lone surrogate in text or JSON.
    """

    default_error_messages = {
        "null_characters_not_allowed": _("Remove the NUL character (\\u0000) from this value: it cannot be stored."),
        "surrogate_characters_not_allowed": _(
            "Remove the lone surrogate (\\ud800–\\udfff) from this value: it is not a character and cannot be stored."
        ),
    }

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if code := _first_unstorable(value):
            self.fail(code)
        return value


class JSONObjectField(serializers.DictField):
    """A JSON object of free-form values (a template's variables): keys and values that can be stored."""

    child = JSONValueField()

    default_error_messages = {
        "null_characters_not_allowed": _("Remove the NUL character (\\u0000) from this key: it cannot be stored."),
        "surrogate_characters_not_allowed": _(
            "Remove the lone surrogate (\\ud800–\\udfff) from this key: it is not a character and cannot be stored."
        ),
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if code := _unstorable(str(key)):
                    self.fail(code)
        return super().to_internal_value(data)


__all__ = ["JSONObjectField", "JSONValueField"]

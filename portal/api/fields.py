"""Serializer fields the whole API shares."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _holds_nul(value: Any) -> bool:
    """Whether any string (or object key) in a JSON value holds a NUL character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            if any("\x00" in str(key) for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONValueField(serializers.JSONField):
    """A free-form JSON value whose strings can be stored: NUL characters are refused.

    DRF's ``CharField`` refuses them already; a JSON value's strings are not checked by DRF,
    and PostgreSQL cannot store a NUL in text or JSON.
    """

    default_error_messages = {
        "null_characters_not_allowed": _("Remove the NUL character (\\u0000) from this value: it cannot be stored."),
    }

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if _holds_nul(value):
            self.fail("null_characters_not_allowed")
        return value


class JSONObjectField(serializers.DictField):
    """A JSON object of free-form values (a template's variables): keys and values without NULs."""

    child = JSONValueField()

    default_error_messages = {
        "null_characters_not_allowed": _("Remove the NUL character (\\u0000) from this key: it cannot be stored."),
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and any("\x00" in str(key) for key in data):
            self.fail("null_characters_not_allowed")
        return super().to_internal_value(data)


__all__ = ["JSONObjectField", "JSONValueField"]

"""Text the database can store, whatever an outside party sent."""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """The value with every string storable by PostgreSQL: NULs and lone surrogates become U+FFFD.

    Dicts and lists are cleaned all the way down (keys too); other values are returned as they are.
    """
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", REPLACEMENT)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (\ud800 in the JSON)
            value = "".join(REPLACEMENT if 0xD800 <= ord(char) <= 0xDFFF else char for char in value)
        return value
    if isinstance(value, dict):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value

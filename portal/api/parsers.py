"""The API's JSON parser: DRF's, with JSON it cannot read answered as a 400 rather than a 500."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(parsers.JSONParser):
    """Refuse, naming the fault, JSON nested past Python's recursion limit.

    DRF's own parser lets the ``RecursionError`` of a body nested thousands deep through (a 500).
    A number past a float's range (``1e400``) is read as infinity and refused by the field it is in.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(
                _("JSON parse error - the body is nested too deeply; send at most a few levels.")
            ) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None

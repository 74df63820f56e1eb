"""The API's JSON parser: DRF's, with JSON it cannot read answered as a 400 rather than a 500."""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is beyond a number's range")
    return value


class JSONParser(parsers.JSONParser):
    """Refuse, naming the fault, JSON nested past Python's recursion limit and numbers beyond a float's range.

    DRF's own parser lets the ``RecursionError`` of a body nested thousands deep through (a 500)
    and reads ``1e400`` as infinity, which a character field stores as "inf".
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except RecursionError:
            raise ParseError(
                _("JSON parse error - the body is nested too deeply; send at most a few levels.")
            ) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None

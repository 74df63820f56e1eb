"""The API's JSON parser: DRF's, with a body nested past Python's recursion limit answered as a 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's parser, refusing JSON nested past Python's recursion limit with a 400 that says so.

    DRF turns a ``ValueError`` into "JSON parse error - …" but lets the ``RecursionError`` of a body
    nested thousands deep through (a 500). A number past a float's range (``1e400``) is read as
    infinity and refused by the field it is in, which names itself.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("JSON parse error - the body is nested too deeply; send at most a few levels.")
            ) from None

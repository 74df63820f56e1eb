"""Where higher apps add to the member page without members importing them.

One registry, filled by the apps' ``AppConfig.ready()`` (notifications registers the member's
send history here): a **member page section** is a callable ``(request, member)`` returning the
HTML of one section, or ``None`` when the reader may not see it. Sections appear in
registration order below the member's own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

MemberPageSection = Callable[[HttpRequest, Any], SafeString | None]

_sections: list[MemberPageSection] = []


def member_page_section_register(section: MemberPageSection) -> MemberPageSection:
    """Add a section to the member page (once)."""
    if section not in _sections:
        _sections.append(section)
    return section


def member_page_sections(request: HttpRequest, member: Any) -> list[SafeString]:
    """Return the HTML of every registered section the reader may see, in registration order."""
    return [html for section in _sections if (html := section(request, member)) is not None]

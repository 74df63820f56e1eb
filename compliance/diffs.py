"""A word-level, side-by-side diff of two template versions, with whitespace changes made visible.

Chinese (and Japanese) text has no spaces between words, so it is compared character by
character; Latin script word by word; every space, tab and newline is a token of its own, so
a changed line break or a doubled space shows as a marker (``·`` space, ``↵`` newline,
``→`` tab, ``□`` full-width space) instead of looking unchanged.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from compliance.models import TemplateVersion

TOKEN_RE = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff01-\uffef]"  # CJK, kana, hangul, full-width: one each
    r"|[A-Za-z0-9_\u00c0-\u024f]+(?:['’][A-Za-z]+)?"  # a Latin word (with its apostrophe)
    r"|\s"  # each whitespace character on its own
    r"|.",  # any other character (punctuation, emoji)
    re.DOTALL,
)
WHITESPACE_MARKS = {" ": "·", "\n": "↵", "\t": "→", "\u3000": "□", "\r": "␍"}


def tokens(text: str) -> list[str]:
    """Split ``text`` into diff tokens: CJK per character, Latin per word, each whitespace alone."""
    return TOKEN_RE.findall(text or "")


def version_fields(version: TemplateVersion) -> dict[str, str]:
    """The content of a version as named text fields, in the order a reviewer reads them."""
    fields = {
        _("LINE text"): version.text or "",
        _("SMS text"): version.sms_text or "",
        _("button"): f"{version.button_label} → {version.button_url}"
        if version.button_label or version.button_url
        else "",
        _("channels"): ", ".join(version.channels or []),
        _("urgency"): str(version.urgency),
        _("SMS fallback after (minutes)"): ""
        if version.sms_fallback_delay_minutes is None
        else str(version.sms_fallback_delay_minutes),
        _("variables"): "\n".join(
            json.dumps(variable, ensure_ascii=False, sort_keys=True) for variable in version.variables or []
        ),
        _("Flex bubble (JSON)"): json.dumps(version.flex_json, ensure_ascii=False, indent=2, sort_keys=True)
        if version.flex_json
        else "",
    }
    if version.is_line_template or version.line_template_key:
        fields[_("LINE template key")] = version.line_template_key
        fields[_("emphasized item")] = f"{version.emphasized_item_key}: {version.emphasized_item}"
        fields[_("items")] = "\n".join(f"{i.get('key')}: {i.get('value')}" for i in version.line_items or [])
        fields[_("buttons")] = "\n".join(f"{b.get('key')}: {b.get('url')}" for b in version.line_buttons or [])
    return fields


def _render(parts: list[str], *, changed: bool) -> str:
    out = []
    for token in parts:
        if changed and token in WHITESPACE_MARKS:
            mark = f'<span class="ws">{WHITESPACE_MARKS[token]}</span>'
            out.append(mark + ("\n" if token == "\n" else ""))
        elif changed and token.isspace():
            out.append('<span class="ws">⍽</span>')
        else:
            out.append(escape(token))
    return "".join(out)


@dataclass(frozen=True)
class FieldDiff:
    name: str
    old_html: SafeString
    new_html: SafeString
    whitespace_only: bool


def field_diff(name: str, old: str, new: str) -> FieldDiff:
    """Compare one field token by token; deleted tokens are <del> on the left, inserted <ins> on the right."""
    a, b = tokens(old), tokens(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(_render(a[i1:i2], changed=False))
            right.append(_render(b[j1:j2], changed=False))
            continue
        if i2 > i1:
            left.append(f"<del>{_render(a[i1:i2], changed=True)}</del>")
        if j2 > j1:
            right.append(f"<ins>{_render(b[j1:j2], changed=True)}</ins>")
    return FieldDiff(
        name=name,
        old_html=mark_safe("".join(left)),  # noqa: S308 - every token went through escape()
        new_html=mark_safe("".join(right)),  # noqa: S308
        whitespace_only=old.split() == new.split(),
    )


def version_word_diff(old: TemplateVersion, new: TemplateVersion) -> list[FieldDiff]:
    """The fields that differ between two versions, each compared word by word."""
    before, after = version_fields(old), version_fields(new)
    return [
        field_diff(str(name), before.get(name, ""), after.get(name, ""))
        for name in dict.fromkeys([*before, *after])
        if before.get(name, "") != after.get(name, "")
    ]


def version_diff_table(old: TemplateVersion | None, new: TemplateVersion) -> str:
    """Return the side-by-side diff as an HTML table ("" when there is nothing to compare with)."""
    if old is None:
        return ""
    diffs = version_word_diff(old, new)
    if not diffs:
        return format_html('<p class="tpl-diff-none">{}</p>', _("The content is the same as in the approved version."))
    rows = format_html_join(
        "\n",
        '<tr><th scope="row">{}{}</th><td class="old">{}</td><td class="new">{}</td></tr>',
        (
            (
                d.name,
                format_html('<br><small class="ws-only">{}</small>', _("only whitespace changed"))
                if d.whitespace_only
                else "",
                d.old_html,
                d.new_html,
            )
            for d in diffs
        ),
    )
    legend = _("Markers: · space, ↵ line break, → tab, □ full-width space")
    return format_html(
        '<table class="tpl-diff"><thead><tr><th></th><th>v{}</th><th>v{}</th></tr></thead><tbody>{}</tbody></table>'
        '<p class="tpl-diff-legend">{}</p>',
        old.number,
        new.number,
        rows,
        legend,
    )

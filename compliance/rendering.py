"""Placeholders, LINE message objects and SMS text of a template version, with values filled in.

Pure functions: the review page renders previews with them and the send pipeline renders
the real messages with them, so what a reviewer saw is what goes out.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance.models import TemplateVersion

PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
LINE_ALT_TEXT_MAX = 400

# GSM 03.38 basic set, and the extension set whose characters take two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def placeholders(text: str) -> list[str]:
    """Return the well-formed placeholder names in ``text``, in order."""
    return PLACEHOLDER_RE.findall(text or "")


def malformed_braces(text: str) -> list[str]:
    """Return fragments around braces that are not a well-formed ``{name}`` placeholder."""
    stripped = PLACEHOLDER_RE.sub("", text or "")
    return [stripped[max(0, i - 8) : i + 9] for i, char in enumerate(stripped) if char in "{}"]


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each declared placeholder with its value; unknown ones are left as they are."""
    return PLACEHOLDER_RE.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text or "")


def flex_strings(node: Any) -> Iterator[str]:
    """Yield every string value in a Flex structure (text, URIs, labels...)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from flex_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from flex_strings(value)


def _fill_flex(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return fill(node, values)
    if isinstance(node, dict):
        return {key: _fill_flex(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill_flex(value, values) for value in node]
    return node


def _button(label: str, uri: str) -> dict[str, Any]:
    return {
        "type": "button",
        "style": "link",
        "height": "sm",
        "action": {"type": "uri", "label": label, "uri": uri},
    }


def render_line_messages(*, version: TemplateVersion, variables: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the LINE message objects of ``version`` with ``variables`` filled in.

    A text with a button becomes a Flex bubble (a text message cannot carry a button);
    a Flex bubble gets the button in its footer.
    """
    messages: list[dict[str, Any]] = []
    text = fill(version.text, variables).strip()
    button = None
    if version.button_label and version.button_url:
        button = _button(fill(version.button_label, variables), fill(version.button_url, variables))
    if text and (version.flex_json or not button):
        messages.append({"type": "text", "text": text})
    elif text and button:
        bubble = {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": text, "wrap": True}]},
            "footer": {"type": "box", "layout": "vertical", "contents": [button]},
        }
        messages.append({"type": "flex", "altText": text[:LINE_ALT_TEXT_MAX], "contents": bubble})
        button = None
    if version.flex_json:
        bubble = _fill_flex(copy.deepcopy(version.flex_json), variables)
        if button is not None:
            footer = bubble.setdefault("footer", {"type": "box", "layout": "vertical", "contents": []})
            footer.setdefault("contents", []).append(button)
        alt = text or fill(version.template.name, variables)
        messages.append({"type": "flex", "altText": alt[:LINE_ALT_TEXT_MAX], "contents": bubble})
    return messages


def render_sms_text(*, version: TemplateVersion, variables: Mapping[str, str]) -> str:
    """Return the SMS variant with ``variables`` filled in."""
    return fill(version.sms_text, variables).strip()


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def sms_length(text: str) -> tuple[int, bool]:
    """Return (units, is_gsm7): septets for GSM-7, UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return sum(2 if char in GSM7_EXTENDED else 1 for char in text), True
    return len(text.encode("utf-16-le")) // 2, False


def sms_segments(text: str) -> int:
    """Return how many SMS segments ``text`` takes: 160/153 for GSM-7, 70/67 for UCS-2 (Chinese)."""
    units, gsm = sms_length(text)
    if units == 0:
        return 0
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else math.ceil(units / multi)

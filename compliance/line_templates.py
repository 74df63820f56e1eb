"""LINE templates (template PNP): LINE's limits on their fields, and the request body they fill.

A LINE template version names one of LINE's predefined templates and fills its emphasized
item, items and buttons. LINE does not review the design, so the portal checks the shape
here (for the admin form, the services and the review's ``LINE_TEMPLATE`` rule alike) and
the values again when a send fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from compliance.choices import Channel
from compliance.rendering import fill, render_line_messages

if TYPE_CHECKING:
    from compliance.models import TemplateVersion

EMPHASIZED_ITEM_MAX = 15
ITEMS_MAX = 15
ITEM_VALUE_MAX = 300
BUTTONS_MAX = 2
BUTTON_URL_MAX = 1000
KEY_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# The flexible kind's content, which a LINE template does not send.
FLEXIBLE_ONLY_FIELDS = ("text", "flex_json", "button_label", "button_url")


def _worst_case(version: TemplateVersion) -> dict[str, str]:
    from compliance.rules import worst_case_values  # rules import this module's errors

    return worst_case_values(version)


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        return _("“%(key)s” is not a LINE key (letters, digits, _ . -, up to 100).") % {"key": str(key)[:40]}
    return None


def _item_errors(items: Any, worst: Mapping[str, str]) -> list[str]:
    if not isinstance(items, list):
        return [_('Give the items as a list: [{"key": "...", "value": "..."}].')]
    problems = []
    if len(items) > ITEMS_MAX:
        problems.append(_("At most %(max)d items; there are %(n)d.") % {"max": ITEMS_MAX, "n": len(items)})
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != {"key", "value"}:
            problems.append(_('Item %(i)d: give exactly a "key" and a "value".') % {"i": index})
            continue
        key, value = item["key"], item["value"]
        problem = _key_problem(key)
        if problem:
            problems.append(_("Item %(i)d: %(problem)s") % {"i": index, "problem": problem})
        elif key in seen:
            problems.append(_("Item %(i)d: the key %(key)s is used twice.") % {"i": index, "key": key})
        seen.add(str(key))
        if not isinstance(value, str) or not value.strip():
            problems.append(_("Item %(i)d: give a value.") % {"i": index})
        elif len(fill(value, worst)) > ITEM_VALUE_MAX:
            problems.append(
                _("Item %(i)d: the value can reach %(n)d characters with its variables; LINE allows %(max)d.")
                % {"i": index, "n": len(fill(value, worst)), "max": ITEM_VALUE_MAX}
            )
    return problems


def _button_errors(buttons: Any) -> list[str]:
    if not isinstance(buttons, list):
        return [_('Give the buttons as a list: [{"key": "...", "url": "https://..."}].')]
    problems = []
    if len(buttons) > BUTTONS_MAX:
        problems.append(_("At most %(max)d buttons; there are %(n)d.") % {"max": BUTTONS_MAX, "n": len(buttons)})
    for index, button in enumerate(buttons, start=1):
        if not isinstance(button, dict) or set(button) != {"key", "url"}:
            problems.append(_('Button %(i)d: give exactly a "key" (its label) and a "url".') % {"i": index})
            continue
        problem = _key_problem(button["key"])
        if problem:
            problems.append(_("Button %(i)d: %(problem)s") % {"i": index, "problem": problem})
        url = button["url"]
        if not isinstance(url, str) or not url.strip():
            problems.append(_("Button %(i)d: give a URL.") % {"i": index})
        elif len(url) > BUTTON_URL_MAX:
            problems.append(
                _("Button %(i)d: the URL is %(n)d characters; LINE allows %(max)d.")
                % {"i": index, "n": len(url), "max": BUTTON_URL_MAX}
            )
    return problems


def line_template_errors(version: TemplateVersion) -> dict[str, list[str]]:
    """Return what breaks LINE's limits in a version's LINE template fields, by field (empty: none)."""
    errors: dict[str, list[str]] = {}
    if not version.is_line_template:
        if version.line_template_key or version.emphasized_item or version.line_items or version.line_buttons:
            errors["kind"] = [_("Only a LINE template has a template key, items and buttons.")]
        return errors
    worst = _worst_case(version)
    if not version.line_template_key:
        errors["line_template_key"] = [_("Give LINE's template key, e.g. shipment_completed_ja.")]
    elif problem := _key_problem(version.line_template_key):
        errors["line_template_key"] = [problem]
    if bool(version.emphasized_item_key) != bool(version.emphasized_item):
        errors["emphasized_item"] = [_("The emphasized item needs both a key and a value, or neither.")]
    elif version.emphasized_item_key and (problem := _key_problem(version.emphasized_item_key)):
        errors["emphasized_item_key"] = [problem]
    elif len(fill(version.emphasized_item, worst)) > EMPHASIZED_ITEM_MAX:
        errors["emphasized_item"] = [
            _("The emphasized item can reach %(n)d characters with its variables; LINE allows %(max)d.")
            % {"n": len(fill(version.emphasized_item, worst)), "max": EMPHASIZED_ITEM_MAX}
        ]
    problems = _item_errors(version.line_items, worst)
    if version.emphasized_item_key and any(
        isinstance(i, dict) and i.get("key") == version.emphasized_item_key for i in version.line_items or []
    ):
        problems.append(
            _("The emphasized item's key %(key)s is used by an item too.") % {"key": version.emphasized_item_key}
        )
    if problems:
        errors["line_items"] = problems
    if problems := _button_errors(version.line_buttons):
        errors["line_buttons"] = problems
    for name in FLEXIBLE_ONLY_FIELDS:
        if getattr(version, name):
            errors[name] = [_("A LINE template sends LINE's design: leave this empty.")]
    if Channel.LINE_PUSH in (version.channels or []):
        errors["channels"] = [_("A LINE template goes out as a PNP only: remove LINE push.")]
    return errors


def line_template_texts(version: TemplateVersion) -> dict[str, str]:
    """Return the copy of a LINE template by field, for the rules (placeholders, links)."""
    items = version.line_items if isinstance(version.line_items, list) else []
    buttons = version.line_buttons if isinstance(version.line_buttons, list) else []
    return {
        "emphasized_item": version.emphasized_item or "",
        "line_items": "\n".join(str(i.get("value", "")) for i in items if isinstance(i, dict)),
        "line_buttons": "\n".join(str(b.get("url", "")) for b in buttons if isinstance(b, dict)),
    }


def render_line_template(*, version: TemplateVersion, variables: Mapping[str, str]) -> dict[str, Any]:
    """Return the template PNP request (``templateKey`` and ``body``) with ``variables`` filled in."""
    body: dict[str, Any] = {}
    if version.emphasized_item_key:
        body["emphasizedItem"] = {
            "itemKey": version.emphasized_item_key,
            "content": fill(version.emphasized_item, variables),
        }
    if version.line_items:
        body["items"] = [{"itemKey": i["key"], "content": fill(i["value"], variables)} for i in version.line_items]
    if version.line_buttons:
        body["buttons"] = [{"buttonKey": b["key"], "url": fill(b["url"], variables)} for b in version.line_buttons]
    return {"templateKey": version.line_template_key, "body": body}


def filled_length_problem(*, version: TemplateVersion, variables: Mapping[str, str]) -> tuple[str, str] | None:
    """Return (field, message) when a send's values make an item longer than LINE allows, or None."""
    request = render_line_template(version=version, variables=variables)
    emphasized = request["body"].get("emphasizedItem")
    if emphasized and len(emphasized["content"]) > EMPHASIZED_ITEM_MAX:
        return "emphasized_item", _("The emphasized item would be %(n)d characters; LINE allows %(max)d.") % {
            "n": len(emphasized["content"]),
            "max": EMPHASIZED_ITEM_MAX,
        }
    for index, item in enumerate(request["body"].get("items", []), start=1):
        if len(item["content"]) > ITEM_VALUE_MAX:
            return f"line_items.{index}", _("Item %(i)d would be %(n)d characters; LINE allows %(max)d.") % {
                "i": index,
                "n": len(item["content"]),
                "max": ITEM_VALUE_MAX,
            }
    for index, button in enumerate(request["body"].get("buttons", []), start=1):
        if len(button["url"]) > BUTTON_URL_MAX:
            return f"line_buttons.{index}", _("Button %(i)d's URL would be %(n)d characters; LINE allows %(max)d.") % {
                "i": index,
                "n": len(button["url"]),
                "max": BUTTON_URL_MAX,
            }
    return None


def render_line_content(*, version: TemplateVersion, variables: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return what a send carries to LINE: the message objects, or a LINE template's one template request."""
    if version.is_line_template:
        return [render_line_template(version=version, variables=variables)]
    return render_line_messages(version=version, variables=variables)

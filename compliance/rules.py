"""The guideline rules a template version is checked against, and the checks on send-time values.

Each rule has a stable code, a severity, the clause of LINE's rules it enforces and a
message telling the author what to change. Manual rules return ``passed=None``: a
reviewer records the verdict on the review page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from compliance.advertising import BLOCK, PASS, AdFinding, Lists, detect
from compliance.advertising import CLAUSES as AD_CLAUSES
from compliance.choices import (
    FREE_TEXT_VARIABLE_TYPES,
    PNP_SUITED_URGENCIES,
    RESERVATION_USE_CASES,
    Channel,
    Severity,
    TemplateKind,
    UseCase,
    VariableType,
)
from compliance.findings import AD_FOUND, LIST_CODE, MESSAGES, render_message
from compliance.line_templates import line_template_errors, line_template_texts
from compliance.rendering import fill, flex_strings, malformed_braces, placeholders, sms_length, sms_segments

if TYPE_CHECKING:
    from compliance.models import TemplateVersion

LINE_TEXT_MAX = 5000
LINE_MESSAGES_MAX = 5
SMS_MAX_SEGMENTS = 5
VARIABLE_MAX_LENGTH = 500

URL_SHORTENERS = frozenset(
    {
        "bit.ly", "reurl.cc", "tinyurl.com", "goo.gl", "lihi.cc", "lihi1.cc", "lihi2.cc", "lihi3.cc", "pse.is",
        "ppt.cc", "t.co", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc",
        "s.id", "rb.gy", "t.ly", "0rz.tw", "lnkd.in", "me2.do", "reurl.me", "ssur.cc", "x.co",
    }
)  # fmt: skip
# LINE's own hosts (LIFF, add-friend links) are allowed for every brand.
LINE_LINK_DOMAINS = frozenset({"liff.line.me", "line.me", "page.line.me"})
FLEX_MEDIA_TYPES = frozenset({"image", "video", "audio", "icon"})
FLEX_CONTAINER_TYPES = frozenset({"bubble"})
FLEX_COMPONENT_TYPES = frozenset({"box", "text", "button", "separator", "filler", "span", "spacer"})

URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'，。）)」]+")
# Bare domains (bit.ly/abc, shop.example.com) in a value that is not a URL variable.
BARE_DOMAIN_RE = re.compile(
    r"(?i)\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|tw|cc|ly|io|me|co|gl|gd|is|info|biz|shop|app|xyz|top|link)\b"
)
IGNORE_LINE_RE = re.compile(
    r"(?i)(?:(?:若|如|如果)(?:您)?已.{0,30}?請忽略(?:此|本)?(?:訊息|簡訊|通知)?|please\s+(?:ignore|disregard))"
)
EVENT_TIME_NAMES = frozenset({"event_time", "occurred_at", "event_date", "order_time", "paid_at", "shipped_at"})
CODE_VALUE_RE = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class Finding:
    """One rule's outcome: ``message`` and ``params`` say what it saw (``compliance.findings``).

    ``detail`` is the same in the active language; a finding given only as text has no code
    and is shown as that text.
    """

    passed: bool | None
    detail: str = ""
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # The advertising detector's findings behind the result (``AdFinding.as_dict()``), if any.
    evidence: tuple[dict[str, Any], ...] = ()

    def as_item(self) -> dict[str, Any]:
        """This finding as one item of a list finding (``findings.LIST_CODE``)."""
        return {"message": self.message, "params": self.params, "text": self.detail}


@dataclass
class RuleContext:
    """What the rules need to know about a version, gathered once."""

    version: TemplateVersion
    promotional_terms: list[str]
    allowed_domains: set[str]
    texts: dict[str, str] = field(default_factory=dict)
    # The editable lists the advertising detector reads; None: the promotional terms alone.
    advertising: Lists | None = None

    @property
    def use_case(self) -> str:
        return self.version.template.use_case

    @property
    def advertising_lists(self) -> Lists:
        return self.advertising or _terms_only(tuple(self.promotional_terms))

    @property
    def channels(self) -> set[str]:
        return set(self.version.channels or [])

    @property
    def line_channels(self) -> bool:
        return bool(self.channels & {Channel.PNP, Channel.LINE_PUSH})

    @property
    def has_sms_fallback(self) -> bool:
        return self.version.sms_fallback_delay_minutes is not None

    def urls(self) -> list[str]:
        found = [url for text in self.texts.values() for url in URL_RE.findall(text)]
        if self.version.button_url:
            found.append(self.version.button_url)
        return found


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    clause: str
    message: str | Promise
    check: Callable[[RuleContext], Finding]
    manual: bool = False


# --- Helpers ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _any_term(terms: tuple[str, ...]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """One pattern matching any of the Latin-script terms as a word, and the other terms."""
    latin = [re.escape(term) for term in terms if term.isascii()]
    pattern = re.compile(rf"(?<![a-z])(?:{'|'.join(latin)})(?![a-z])") if latin else None
    return pattern, tuple(term for term in terms if not term.isascii())


def find_promotional_terms(text: str, terms: Iterable[str]) -> list[str]:
    """Return the promotional terms found in ``text``: whole words for Latin script, substrings for CJK."""
    lowered = (text or "").lower()
    terms = tuple(terms)
    # Most texts (every send-time value) hold none: one pass over the text tells, then each
    # term is looked for on its own only when one is there (overlapping terms each count).
    pattern, others = _any_term(terms)
    if (pattern is None or not pattern.search(lowered)) and not any(term in lowered for term in others):
        return []
    found = []
    for term in terms:
        if term.isascii():
            # Letters bound a word, digits do not: "coupon50" and "2026sale" are caught, "wholesale" is not.
            if re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", lowered):
                found.append(term)
        elif term in lowered:
            found.append(term)
    return found


def host_of(url: str) -> str:
    candidate = url if "://" in url else f"https://{url}"
    try:
        return (urlsplit(candidate).hostname or "").lower()
    except ValueError:
        return ""


def domain_allowed(host: str, allowed: Iterable[str]) -> bool:
    return any(host == domain or host.endswith(f".{domain}") for domain in allowed)


def is_shortener(host: str) -> bool:
    return domain_allowed(host, URL_SHORTENERS)


def worst_case_values(version: TemplateVersion) -> dict[str, str]:
    """Each variable at its longest: its max length in a wide character, or its sample."""
    values = {}
    for variable in version.variables or []:
        max_length = variable.get("max_length")
        values[variable.get("name", "")] = "測" * int(max_length) if max_length else str(variable.get("sample", ""))
    return values


def sample_values(version: TemplateVersion) -> dict[str, str]:
    return {v.get("name", ""): str(v.get("sample", "")) for v in version.variables or []}


def _finding(passed: bool | None, detail: str | Promise, params: dict[str, Any]) -> Finding:
    """A finding from a message code of ``compliance.findings`` and its parameters, or from bare text."""
    if isinstance(detail, str) and (detail in MESSAGES or detail == LIST_CODE):
        return Finding(passed, render_message(detail, params), message=detail, params=params)
    return Finding(passed, str(detail))


def _ok(detail: str | Promise = "", **params: Any) -> Finding:
    return _finding(True, detail, params)


def _fail(detail: str | Promise, **params: Any) -> Finding:
    return _finding(False, detail, params)


def _open(detail: str | Promise, **params: Any) -> Finding:
    """A finding a reviewer decides (manual rules)."""
    return _finding(None, detail, params)


def _problems(problems: list[Finding]) -> Finding:
    """One failed finding listing each problem a check saw, or a pass when it saw none."""
    if not problems:
        return _ok()
    return _fail(LIST_CODE, items=[problem.as_item() for problem in problems])


def _na() -> Finding:
    return _ok("not_applicable")


# --- Checks ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _terms_only(terms: tuple[str, ...]) -> Lists:
    return Lists.of(terms)


def _ad_findings(ctx: RuleContext, codes: Callable[[str], bool]) -> list[tuple[str, AdFinding]]:
    """The detector's findings on every text of the version whose code ``codes`` accepts."""
    found = []
    for where, text in ctx.texts.items():
        if not text:
            continue
        verdict = detect(text, use_case=ctx.use_case, lists=ctx.advertising_lists)
        found += [(where, finding) for finding in verdict.findings if codes(finding.code)]
    return found


def _ad_result(found: list[tuple[str, AdFinding]]) -> Finding:
    """Block findings fail the rule; review findings leave it to the reviewer; none passes.

    Stored as a list of ``ad.found`` items (where, severity, clause section and the detector's
    own code and parameters), so the review page words it in the reader's language.
    """
    if not found:
        return _ok()
    items = [
        {
            "message": AD_FOUND,
            "params": {
                "where": where,
                "severity": finding.severity,
                "section": AD_CLAUSES[finding.clause].section,
                "finding": {"code": finding.code, "text": finding.evidence.text, "params": dict(finding.params)},
            },
            "text": "",
        }
        for where, finding in found
    ]
    params = {"items": items}
    evidence = tuple({"where": where, **finding.as_dict()} for where, finding in found)
    blocked = any(finding.severity == BLOCK for _where, finding in found)
    return Finding(
        False if blocked else None,
        render_message(LIST_CODE, params),
        message=LIST_CODE,
        params=params,
        evidence=evidence,
    )


def check_promotional_wording(ctx: RuleContext) -> Finding:
    # On a points template, promotional points are USE_CASE_POINTS' finding (one rule per finding).
    points = ctx.use_case == UseCase.POINTS_EARNED
    return _ad_result(_ad_findings(ctx, lambda code: not (points and code == "ad.bonus_points")))


def check_points_not_promotional(ctx: RuleContext) -> Finding:
    if ctx.use_case != UseCase.POINTS_EARNED:
        return _na()
    return _ad_result(_ad_findings(ctx, lambda code: code == "ad.bonus_points"))


def check_reservation_scope(ctx: RuleContext) -> Finding:
    if ctx.use_case not in RESERVATION_USE_CASES:
        return _na()
    return _open("reservation.confirm")


def check_otp(ctx: RuleContext) -> Finding:
    if ctx.use_case != UseCase.SIGNUP_OTP:
        return _na()
    codes = [v for v in ctx.version.variables or [] if v.get("type") == VariableType.CODE]
    problems = []
    if len(codes) != 1:
        problems.append(_fail("otp.code_count", n=len(codes)))
    if ctx.urls() or ctx.version.button_label:
        problems.append(_fail("otp.link"))
    return _problems(problems)


def check_new_use_case(ctx: RuleContext) -> Finding:
    if ctx.use_case != UseCase.NEW_USE_CASE:
        return _na()
    if not ctx.version.template.new_use_case_description.strip():
        return _fail("new_use_case.no_description")
    return _open("new_use_case.confirm")


def check_links_https(ctx: RuleContext) -> Finding:
    bad = [url for url in ctx.urls() if not url.lower().startswith("https://")]
    return _fail("link.not_https", urls=", ".join(bad)) if bad else _ok()


def check_links_domain(ctx: RuleContext) -> Finding:
    bad = []
    for url in ctx.urls():
        host = host_of(url)
        if "{" in url.split("/")[2 if "://" in url else 0] or not domain_allowed(
            host, ctx.allowed_domains | LINE_LINK_DOMAINS
        ):
            bad.append(url)
    if bad:
        return _fail("link.domain", urls=", ".join(bad))
    return _ok()


def check_no_shorteners(ctx: RuleContext) -> Finding:
    urls = ctx.urls() + [m for text in ctx.texts.values() for m in BARE_DOMAIN_RE.findall(text)]
    bad = sorted({host_of(url) for url in urls if is_shortener(host_of(url))})
    return _fail("link.shortener", hosts=", ".join(bad)) if bad else _ok()


def check_button_complete(ctx: RuleContext) -> Finding:
    if bool(ctx.version.button_label) != bool(ctx.version.button_url):
        return _fail("button.incomplete")
    return _ok() if ctx.version.button_label else _na()


def check_button_relates(ctx: RuleContext) -> Finding:
    if not ctx.version.button_url:
        return _na()
    return _open("button.confirm", url=ctx.version.button_url)


def check_variable_definitions(ctx: RuleContext) -> Finding:
    problems: list[Finding] = []
    seen: set[str] = set()
    for index, variable in enumerate(ctx.version.variables or []):
        name = str(variable.get("name", ""))
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            problems.append(_fail("var.name", i=index + 1, name=name))
        if name in seen:
            problems.append(_fail("var.twice", name=name))
        seen.add(name)
        if variable.get("type") not in VariableType.values:
            problems.append(_fail("var.type", name=name, type=str(variable.get("type"))))
        max_length = variable.get("max_length")
        if max_length is not None and (not isinstance(max_length, int) or not 0 < max_length <= VARIABLE_MAX_LENGTH):
            problems.append(_fail("var.max_length_range", name=name, max=VARIABLE_MAX_LENGTH))
        if not str(variable.get("sample", "")).strip():
            problems.append(_fail("var.sample", name=name))
    return _problems(problems)


def check_placeholders_declared(ctx: RuleContext) -> Finding:
    declared = {v.get("name") for v in ctx.version.variables or []}
    texts = {**ctx.texts, "button_url": ctx.version.button_url}
    problems: list[Finding] = []
    for where, text in texts.items():
        for fragment in malformed_braces(text):
            problems.append(_fail("var.malformed", where=where, frag=fragment))
        undeclared = sorted({name for name in placeholders(text) if name not in declared})
        if undeclared:
            problems.append(_fail("var.undeclared", where=where, names=", ".join(f"{{{n}}}" for n in undeclared)))
    return _problems(problems)


def check_placeholders_used(ctx: RuleContext) -> Finding:
    used = {name for text in [*ctx.texts.values(), ctx.version.button_url] for name in placeholders(text)}
    unused = sorted(v.get("name", "") for v in ctx.version.variables or [] if v.get("name") not in used)
    return _fail("var.unused", names=", ".join(unused)) if unused else _ok()


def check_placeholder_position(ctx: RuleContext) -> Finding:
    bad = []
    for where in ("text", "sms_text"):
        text = (ctx.texts.get(where) or "").strip()
        if text and (re.match(r"^\{[a-z]", text) or text.endswith("}")):
            bad.append(where)
    if bad:
        return _fail("var.position", where=", ".join(bad))
    return _ok()


def check_free_text_max_length(ctx: RuleContext) -> Finding:
    bad = [
        v.get("name", "")
        for v in ctx.version.variables or []
        if v.get("type") in FREE_TEXT_VARIABLE_TYPES and not v.get("max_length")
    ]
    return _fail("var.no_max_length", names=", ".join(bad)) if bad else _ok()


def check_channels(ctx: RuleContext) -> Finding:
    unknown = ctx.channels - set(Channel.values)
    if not ctx.channels or unknown:
        return _fail("channels.none")
    return _ok()


def check_line_message_count(ctx: RuleContext) -> Finding:
    if not ctx.line_channels:
        return _na()
    count = int(bool(ctx.version.text.strip())) + int(bool(ctx.version.flex_json))
    if not 1 <= count <= LINE_MESSAGES_MAX:
        return _fail("line.message_count", n=count)
    return _ok("line.message_count_ok", n=count)


def check_line_text_length(ctx: RuleContext) -> Finding:
    if not ctx.version.text:
        return _ok() if ctx.line_channels else _na()
    length = len(fill(ctx.version.text, worst_case_values(ctx.version)))
    if length > LINE_TEXT_MAX:
        return _fail("line.text_too_long", n=length)
    return _ok("line.text_length_ok", n=length)


def _flex_components(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from _flex_components(value)
    elif isinstance(node, list):
        for value in node:
            yield from _flex_components(value)


def check_flex_structure(ctx: RuleContext) -> Finding:
    flex = ctx.version.flex_json
    if flex in (None, "", {}):
        return _na()
    if not isinstance(flex, dict) or flex.get("type") not in FLEX_CONTAINER_TYPES:
        return _fail("flex.not_bubble")
    if not isinstance(flex.get("body"), dict) or flex["body"].get("type") != "box":
        return _fail("flex.no_body")
    allowed = FLEX_COMPONENT_TYPES | FLEX_MEDIA_TYPES | FLEX_CONTAINER_TYPES | {"uri", "message", "postback"}
    unknown = sorted({c["type"] for c in _flex_components(flex) if c["type"] not in allowed})
    if unknown:
        return _fail("flex.unknown_types", types=", ".join(unknown))
    return _ok()


def check_flex_no_media(ctx: RuleContext) -> Finding:
    if not ctx.version.flex_json:
        return _na()
    media = sorted({c["type"] for c in _flex_components(ctx.version.flex_json) if c["type"] in FLEX_MEDIA_TYPES})
    if media or (isinstance(ctx.version.flex_json, dict) and ctx.version.flex_json.get("hero")):
        return _fail("flex.media", types=", ".join(media) or "hero")
    return _ok()


def _fallback_texts(ctx: RuleContext) -> dict[str, str]:
    return {k: v for k, v in ctx.texts.items() if k in ("text", "sms_text") and v.strip()}


def check_sms_variant(ctx: RuleContext) -> Finding:
    if Channel.SMS not in ctx.channels:
        if ctx.has_sms_fallback:
            return _fail("sms.fallback_without_sms")
        return _na()
    if not ctx.version.sms_text.strip():
        return _fail("sms.no_text")
    return _ok()


def check_sms_event_time(ctx: RuleContext) -> Finding:
    if not ctx.has_sms_fallback:
        return _na()
    time_vars = {
        v.get("name")
        for v in ctx.version.variables or []
        if v.get("type") in (VariableType.DATETIME, VariableType.DATE) or v.get("name") in EVENT_TIME_NAMES
    }
    missing = [where for where, text in _fallback_texts(ctx).items() if not set(placeholders(text)) & time_vars]
    if missing:
        return _fail("sms.event_time", where=", ".join(missing))
    return _ok()


def check_sms_ignore_line(ctx: RuleContext) -> Finding:
    if not ctx.has_sms_fallback:
        return _na()
    missing = [where for where, text in _fallback_texts(ctx).items() if not IGNORE_LINE_RE.search(text)]
    if missing:
        return _fail("sms.ignore_line", where=", ".join(missing))
    return _ok()


def check_sms_length(ctx: RuleContext) -> Finding:
    if Channel.SMS not in ctx.channels or not ctx.version.sms_text.strip():
        return _na()
    text = fill(ctx.version.sms_text, worst_case_values(ctx.version))
    segments = sms_segments(text)
    units, gsm = sms_length(text)
    params = {"segments": segments, "units": units, "enc": "GSM-7" if gsm else "UCS-2"}
    if segments > SMS_MAX_SEGMENTS:
        return _fail("sms.segments", **params)
    return _finding(segments == 1, "sms.segments", params)


def check_line_template(ctx: RuleContext) -> Finding:
    errors = line_template_errors(ctx.version)
    if errors:
        return _fail("; ".join(f"{name}: {message}" for name, messages in errors.items() for message in messages))
    return _ok()


def check_urgency_channel(ctx: RuleContext) -> Finding:
    if Channel.PNP in ctx.channels and ctx.version.urgency not in PNP_SUITED_URGENCIES:
        return _fail("urgency.pnp")
    return _ok()


RULES: tuple[Rule, ...] = (
    Rule("PROMO_WORDING", Severity.BLOCKING, "UX guideline: no advertising or commercial content",
         _("Remove the promotional wording; a notification may only state facts about the member's own transaction."),
         check_promotional_wording),
    Rule("USE_CASE_POINTS", Severity.BLOCKING, "Use case 9: points earned, not free points from a promotion",
         _("Report points the member earned; do not announce bonus or free points."), check_points_not_promotional),
    Rule("USE_CASE_RESERVATION", Severity.BLOCKING, "Use cases 4–5: restaurants, offline services, offline events only",
         _("Reservation notices are only for restaurants, offline services and offline events."),
         check_reservation_scope, manual=True),
    Rule("USE_CASE_OTP", Severity.BLOCKING, "Use case 11: OTP for sign-up with phone verification",
         _("An OTP message carries exactly one code variable and no link or button."), check_otp),
    Rule("USE_CASE_NEW", Severity.BLOCKING, "New use cases are reviewed by LINE HQ",
         _("Describe the new use case and make sure LINE approved it in the brand's application."),
         check_new_use_case, manual=True),
    Rule("LINK_HTTPS", Severity.BLOCKING, "Links must be secure", _("Use https:// for every link."), check_links_https),
    Rule("LINK_DOMAIN", Severity.BLOCKING, "Links must lead to the brand's own pages",
         _("Link only to domains on the brand's allow-list (ask compliance to add one)."), check_links_domain),
    Rule("LINK_SHORTENER", Severity.BLOCKING, "Members must see where a link leads",
         _("Replace the shortened link with the full https URL on the brand's domain."), check_no_shorteners),
    Rule("BUTTON_COMPLETE", Severity.BLOCKING, "A button opens a page",
         _("Give the button both a label and a URL, or remove both."), check_button_complete),
    Rule("BUTTON_RELATES", Severity.BLOCKING, "The linked page must relate to the notification",
         _("The button must open a page about this notification (order, bill, reservation...)."),
         check_button_relates, manual=True),
    Rule("VAR_DEFINITION", Severity.BLOCKING, "Variables are declared with a type and a sample",
         _("Declare each variable once with a lower-case name, a known type and a sample value."),
         check_variable_definitions),
    Rule("VAR_DECLARED", Severity.BLOCKING, "Every placeholder is declared and well-formed",
         _("Write placeholders as {name} and declare each one."), check_placeholders_declared),
    Rule("VAR_UNUSED", Severity.WARNING, "Declared variables are used",
         _("Remove variables the text does not use."), check_placeholders_used),
    Rule("VAR_POSITION", Severity.BLOCKING, "No variable at the very start or end of the message",
         _("Start and end the message with fixed text, so a value cannot add copy before or after it."),
         check_placeholder_position),
    Rule("VAR_MAX_LENGTH", Severity.BLOCKING, "Free-text variables cannot carry promotional copy",
         _("Give every text, code and URL variable a max_length."), check_free_text_max_length),
    Rule("CHANNELS", Severity.BLOCKING, "A template states the channels it may use",
         _("Choose at least one channel."), check_channels),
    Rule("LINE_MESSAGE_COUNT", Severity.BLOCKING, "PNP sends 1–5 message objects",
         _("Give the LINE message a text or a Flex bubble."), check_line_message_count),
    Rule("LINE_TEXT_LENGTH", Severity.BLOCKING, "Text messages are at most 5,000 characters",
         _("Shorten the text or lower the variables' max lengths."), check_line_text_length),
    Rule("FLEX_STRUCTURE", Severity.BLOCKING, "Flex messages must be valid",
         _("Paste one Flex bubble as JSON, with a body box."), check_flex_structure),
    Rule("FLEX_NO_MEDIA", Severity.BLOCKING, "PNP may not contain images, video or audio",
         _("Remove image, video, audio and icon components and the hero block."), check_flex_no_media),
    Rule("SMS_VARIANT", Severity.BLOCKING, "SMS goes out only with its own text",
         _("Write an SMS text, or remove SMS from the channels and the fallback."), check_sms_variant),
    Rule("SMS_EVENT_TIME", Severity.BLOCKING, "24-hour window: a member may get both SMS and PNP",
         _("State when the event happened, e.g. {event_time}, in the LINE and SMS text."), check_sms_event_time),
    Rule("SMS_IGNORE_LINE", Severity.BLOCKING, "24-hour window: a member may get both SMS and PNP",
         _("Add a line such as 若您已完成付款，請忽略此訊息 / If you have already paid, please ignore this message."),
         check_sms_ignore_line),
    Rule("SMS_LENGTH", Severity.WARNING, "SMS: 70 characters per segment in Chinese, 160 in GSM-7",
         _("Shorten the SMS text: every extra segment is charged as one more SMS (blocking above 5)."),
         check_sms_length),
    Rule("URGENCY_CHANNEL", Severity.WARNING, "Urgency table: PNP suits messages due within a day or more",
         _("For messages due within an hour, send by SMS first."), check_urgency_channel),
    Rule("LINE_TEMPLATE", Severity.BLOCKING, "Template PNP: LINE's limits on a template's items and buttons",
         _("Give LINE's template key, at most 15 items with unique keys, and at most 2 buttons."),
         check_line_template),
)  # fmt: skip
RULES_BY_CODE = {rule.code: rule for rule in RULES}
# LINE reviews the design of a flexible PNP only (UX review); a LINE template is LINE's own
# design, so the rules on copy and layout do not apply to it. Its use case, its links, its
# variables and its SMS fallback are checked as for a flexible one, and so are the values of
# every send (``check_value``).
FLEXIBLE_ONLY_RULES = frozenset(
    {
        "PROMO_WORDING",
        "BUTTON_COMPLETE",
        "BUTTON_RELATES",
        "VAR_POSITION",
        "LINE_MESSAGE_COUNT",
        "LINE_TEXT_LENGTH",
        "FLEX_STRUCTURE",
        "FLEX_NO_MEDIA",
    }
)
LINE_TEMPLATE_ONLY_RULES = frozenset({"LINE_TEMPLATE"})


def rules_for(kind: str) -> tuple[Rule, ...]:
    """Return the rules a version of this kind is checked against."""
    skipped = FLEXIBLE_ONLY_RULES if kind == TemplateKind.LINE_TEMPLATE else LINE_TEMPLATE_ONLY_RULES
    return tuple(rule for rule in RULES if rule.code not in skipped)


# Rules whose automatic failure a reviewer may not override (SMS_LENGTH above 5 segments too).
SEND_RULE_CODES = ("PROMO_WORDING", "VALUE_LINK", "LINK_HTTPS", "LINK_DOMAIN", "LINK_SHORTENER")


def version_texts(version: TemplateVersion) -> dict[str, str]:
    """Return the copy of a version by where it appears: text, SMS, Flex strings, button label."""
    texts = {"text": version.text or "", "sms_text": version.sms_text or "", "button_label": version.button_label}
    if version.flex_json:
        texts["flex"] = "\n".join(flex_strings(version.flex_json))
    if version.is_line_template:
        texts.update(line_template_texts(version))
    return texts


def build_context(
    version: TemplateVersion,
    *,
    promotional_terms: list[str],
    allowed_domains: set[str],
    advertising: Lists | None = None,
) -> RuleContext:
    return RuleContext(version, promotional_terms, allowed_domains, version_texts(version), advertising)


def evaluate(ctx: RuleContext) -> list[tuple[Rule, Finding]]:
    """Run every rule on the context; a rule that crashes on odd input counts as failed."""
    results = []
    for rule in rules_for(ctx.version.kind):
        try:
            finding = rule.check(ctx)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            finding = _fail("could_not_check", error=str(exc))
        results.append((rule, finding))
    return results


# --- Send-time checks on one variable value ----------------------------------------------------


def check_value_type(variable: dict[str, Any], value: str) -> str | None:
    """Return why ``value`` is not of the variable's type, or None."""
    kind = variable.get("type")
    try:
        if kind == VariableType.NUMBER:
            Decimal(value.replace(",", ""))
        elif kind == VariableType.AMOUNT:
            if not re.fullmatch(r"(?:NT\$|\$)?\s?-?[\d,]+(?:\.\d{1,2})?(?:\s?(?:元|TWD))?", value):
                raise ValueError
        elif kind == VariableType.DATE:
            date.fromisoformat(value)
        elif kind == VariableType.DATETIME:
            if not re.fullmatch(r"\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}(:\d{2})?", value):
                datetime.fromisoformat(value)
        elif kind == VariableType.CODE:
            if not CODE_VALUE_RE.fullmatch(value):
                raise ValueError
    except (InvalidOperation, ValueError):
        return str(_("“%(value)s” is not a valid %(type)s") % {"value": value[:40], "type": kind})
    return None


def check_value(
    variable: dict[str, Any],
    value: str,
    *,
    promotional_terms: list[str],
    allowed_domains: set[str],
    advertising: Lists | None = None,
    use_case: str | None = None,
) -> tuple[str, str] | None:
    """Return (rule code, message) for the first rule a send-time value breaks, or None."""
    if variable.get("type") == VariableType.URL:
        host = host_of(value)
        if not value.lower().startswith("https://"):
            return "LINK_HTTPS", str(_("Use an https:// URL."))
        if is_shortener(host):
            return "LINK_SHORTENER", str(_("Shortened links are not allowed: %(host)s") % {"host": host})
        if not domain_allowed(host, allowed_domains | LINE_LINK_DOMAINS):
            return "LINK_DOMAIN", str(_("%(host)s is not on the brand's allow-list.") % {"host": host})
    elif URL_RE.search(value) or BARE_DOMAIN_RE.search(value):
        return "VALUE_LINK", str(_("A link is not allowed in this variable; only URL variables carry links."))
    # No reviewer sees a send: a value that reads as advertising at all (block or review) is refused.
    # The model is a reviewer's second opinion on copy, so a value (a name, an item) is not scored.
    lists = advertising or _terms_only(tuple(promotional_terms))
    verdict = detect(value, use_case=use_case, lists=lists, model=False)
    if verdict.verdict != PASS:
        found = "; ".join(finding.message for finding in verdict.findings)
        return "PROMO_WORDING", str(_("The value reads as advertising: %(found)s") % {"found": found})
    return None

"""The one place phone numbers are read: any format people type in → E.164, type and LINE hash.

Forms, serializers, imports and services all call :func:`normalize_phone`; its error
messages are written for the person who has to correct the number.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneNumberType, ValidationResult

from members.choices import PhoneType

DEFAULT_REGION = "TW"

# The countries LINE offers PNP in (Taiwan, Japan, Thailand), by calling code: each code
# belongs to that one country alone, so the E.164 prefix decides without parsing.
PNP_CALLING_CODES = ("+886", "+81", "+66")


def pnp_country(e164: str) -> bool:
    """Whether LINE offers PNP for this number's country (Taiwan, Japan or Thailand)."""
    return e164.startswith(PNP_CALLING_CODES)


_TYPE_NAMES: dict[int, PhoneType] = {
    PhoneNumberType.MOBILE: PhoneType.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: PhoneType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: PhoneType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: PhoneType.SHARED_COST,
    PhoneNumberType.VOIP: PhoneType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: PhoneType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER: PhoneType.PAGER,
    PhoneNumberType.UAN: PhoneType.UAN,
    PhoneNumberType.VOICEMAIL: PhoneType.VOICEMAIL,
}

# Separators people put in numbers; anything else that is not a digit makes it "not a number".
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.()/\u3000]")
_ALLOWED = re.compile(r"^\+?\d+$")
# Taiwanese mobile numbers are most of every import: recognise them without a full parse.
# The pattern is LINE's own source of truth here, phonenumbers' metadata (checked by a test).
_TW_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("TW")
assert _TW_METADATA is not None and _TW_METADATA.mobile is not None
_TW_MOBILE = re.compile(str(_TW_METADATA.mobile.national_number_pattern))
_TW_MOBILE_DIGITS = re.compile(r"^(?:\+886|886|0)?(9\d{8})$")
# The usual ASCII spellings (0912-345-678, 0912345678, +886 912 345 678), matched in one step.
_TW_MOBILE_QUICK = re.compile(r"^\s*(?:\+?886[\s-]?|0)(9\d\d)[\s-]?(\d{3})[\s-]?(\d{3})\s*$")
_MOBILE = PhoneType.MOBILE


_Desc = tuple[re.Pattern[str], frozenset[int]]


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return re.compile(str(desc.national_number_pattern)), frozenset(desc.possible_length or ())


def _matches(national: str, desc: _Desc | None) -> bool:
    return desc is not None and (not desc[1] or len(national) in desc[1]) and desc[0].fullmatch(national) is not None


# phonenumbers' own order of number types (``_number_type_helper``), compiled once.
_TW_GENERAL = _desc(_TW_METADATA.general_desc)
_TW_SPECIAL = [
    (described, _TYPE_NAMES[number_type])
    for name, number_type in (
        ("premium_rate", PhoneNumberType.PREMIUM_RATE),
        ("toll_free", PhoneNumberType.TOLL_FREE),
        ("shared_cost", PhoneNumberType.SHARED_COST),
        ("voip", PhoneNumberType.VOIP),
        ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
        ("pager", PhoneNumberType.PAGER),
        ("uan", PhoneNumberType.UAN),
        ("voicemail", PhoneNumberType.VOICEMAIL),
    )
    if (described := _desc(getattr(_TW_METADATA, name))) is not None
]
_TW_FIXED = _desc(_TW_METADATA.fixed_line)
_TW_MOBILE_DESC = _desc(_TW_METADATA.mobile)
assert not _TW_METADATA.same_mobile_and_fixed_line_pattern


def _tw_national_type(national: str) -> PhoneType | None:
    """Return the type of a Taiwanese national number as phonenumbers would, ``None`` if invalid.

    The checks of ``phonenumbers.number_type`` (and so of ``is_valid_number``), without parsing.
    """
    if not _matches(national, _TW_GENERAL):
        return None
    for described, phone_type in _TW_SPECIAL:
        if _matches(national, described):
            return phone_type
    if _matches(national, _TW_FIXED):
        return PhoneType.FIXED_LINE_OR_MOBILE if _matches(national, _TW_MOBILE_DESC) else PhoneType.FIXED_LINE
    if _matches(national, _TW_MOBILE_DESC):
        return PhoneType.MOBILE
    return None


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    """A phone number in E.164 form, its type and the SHA-256 LINE matches it by."""

    e164: str
    number_type: PhoneType
    hash: str

    @property
    def is_mobile(self) -> bool:
        return self.number_type in (PhoneType.MOBILE, PhoneType.FIXED_LINE_OR_MOBILE)


def phone_hash(e164: str) -> str:
    """Return the lowercase hex SHA-256 of an E.164 number, ``+`` included, as LINE expects."""
    return hashlib.sha256(e164.encode()).hexdigest()


def _clean(raw: str) -> str:
    # NFKC turns full-width digits, plus signs and brackets (０９１２, ＋, （）) into ASCII.
    text = raw.strip() if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()
    return _SEPARATORS.sub("", text)


def _where(number: phonenumbers.PhoneNumber, region: str, wanted_type: int | None) -> dict[str, str]:
    """The words for an error message: "Taiwanese mobile number", "+81 phone number"."""
    if number.country_code == phonenumbers.country_code_for_region(region) and region == "TW":
        place = _("Taiwanese")
    else:
        place = _("+%(code)s") % {"code": number.country_code}
    return {"place": place, "kind": _("mobile number") if wanted_type is not None else _("phone number")}


def _unknown_country() -> str:
    return _("%(raw)s: unknown country code; write international numbers as +<country code> <number>.")


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> NormalizedPhone:
    """Return the number in E.164 with its type and hash, or raise ``ValidationError`` saying why."""
    if region == "TW" and (quick := _TW_MOBILE_QUICK.match(raw or "")):
        national = quick.group(1) + quick.group(2) + quick.group(3)
        if _TW_MOBILE.fullmatch(national):
            e164 = "+886" + national
            return NormalizedPhone(e164=e164, number_type=_MOBILE, hash=phone_hash(e164))
    shown = (raw or "").strip()
    if not shown:
        raise ValidationError(_("The phone number is empty."), code="empty")
    text = _clean(shown)
    if text.startswith("00") and not text.startswith("0800"):
        text = "+" + text[2:]
    if not _ALLOWED.match(text):
        raise ValidationError(
            _("%(raw)s: not a phone number (use digits, spaces, hyphens, brackets and a leading +).") % {"raw": shown},
            code="not_a_number",
        )
    if region == "TW":
        match = _TW_MOBILE_DIGITS.match(text)
        if match and _TW_MOBILE.fullmatch(match.group(1)):
            e164 = "+886" + match.group(1)
            return NormalizedPhone(e164=e164, number_type=_MOBILE, hash=phone_hash(e164))
        # Other Taiwanese numbers written 0…, +886… or 886… (landlines, mostly): a valid one is
        # recognised from the metadata's patterns; anything else takes the full parse below,
        # which also words the error.
        if text.startswith("+886"):
            national = text[4:]
        elif text.startswith("886") and len(text) >= 11:
            national = text[3:]
        elif text.startswith("0"):
            national = text[1:]
        else:
            national = ""
        if national[:1] not in ("", "0") and (number_type := _tw_national_type(national)) is not None:
            e164 = "+886" + national
            return NormalizedPhone(e164=e164, number_type=number_type, hash=phone_hash(e164))
    return _normalize_parsed(text, shown, region)


def _normalize_parsed(text: str, shown: str, region: str) -> NormalizedPhone:
    """The full path through ``phonenumbers``: any country, and the reason when it is invalid."""
    if not text.startswith("+") and text.startswith("886") and len(text) >= 11:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValidationError(_unknown_country() % {"raw": shown}, code="invalid_country_code") from exc
        raise ValidationError(_("%(raw)s: not a phone number.") % {"raw": shown}, code="not_a_number") from exc
    national = str(number.national_number)
    wanted_type = PhoneNumberType.MOBILE if national.startswith("9") and number.country_code == 886 else None
    reason = (
        phonenumbers.is_possible_number_for_type_with_reason(number, wanted_type)
        if wanted_type is not None
        else phonenumbers.is_possible_number_with_reason(number)
    )
    if reason == ValidationResult.TOO_SHORT:
        raise ValidationError(
            _("%(raw)s: too short for a %(place)s %(kind)s.") % {"raw": shown, **_where(number, region, wanted_type)},
            code="too_short",
        )
    if reason == ValidationResult.TOO_LONG:
        raise ValidationError(
            _("%(raw)s: too long for a %(place)s %(kind)s.") % {"raw": shown, **_where(number, region, wanted_type)},
            code="too_long",
        )
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise ValidationError(_unknown_country() % {"raw": shown}, code="invalid_country_code")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(raw)s: not a valid %(place)s %(kind)s; check the digits.")
            % {"raw": shown, **_where(number, region, wanted_type)},
            code="invalid",
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    number_type = _TYPE_NAMES.get(phonenumbers.number_type(number), PhoneType.UNKNOWN)
    return NormalizedPhone(e164=e164, number_type=number_type, hash=phone_hash(e164))


def phone_search_term(term: str) -> str | None:
    """Return the E.164 form of a search term that is a phone number, else ``None``."""
    try:
        return normalize_phone(term).e164
    except ValidationError:
        return None


def mask_e164(e164: str) -> str:
    """Return a number as staff lists show it: 0912-***-678 for Taiwan, +8190***234 otherwise."""
    if not e164:
        return ""
    if e164.startswith("+886") and len(e164) == 13:
        national = "0" + e164[4:]
        return f"{national[:4]}-***-{national[-3:]}"
    if e164.startswith("+886"):
        national = "0" + e164[4:]
        return f"{national[:3]}-***-{national[-3:]}"
    return f"{e164[:4]}***{e164[-3:]}"

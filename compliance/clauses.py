"""The guideline clauses the rules enforce: a catalogue with stable ids, titles and sections.

Each clause names the document and the section it comes from, so a reviewer (and an author
asked to change a wording) can look up what LINE actually says. The ids are stable: rule
results, audit rows and links may carry them. The source documents are those in
``/work/shared/seeds`` (LINE Taiwan's 2023 sales kit, a partner's help article) and LINE's
public API reference and UX guideline pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SALES_KIT = _("LINE Notification Message 2023 Sales Kit (LINE Taiwan)")
API_REFERENCE = _("LINE notification messages API reference")
UX_GUIDELINE = _("LINE notification message UX guideline")
SMS_STANDARD = _("SMS encoding (GSM 03.38 / UCS-2)")
PORTAL = _("Portal rule (derived from the clauses above)")

API_REFERENCE_URL = "https://developers.line.biz/en/reference/line-notification-messages/"
UX_GUIDELINE_URL = "https://developers.line.biz/en/docs/partner-docs/line-notification-messages/overview/"


@dataclass(frozen=True)
class Clause:
    id: str
    title: str | Promise
    source: str | Promise
    section: str | Promise
    quote: str = ""
    url: str = ""


CLAUSES: tuple[Clause, ...] = (
    Clause("no-advertising", _("No advertising or commercial content"), SALES_KIT,
           _("01 Product introduction · note; 05 Product specification"),
           "傳送之通知型訊息，僅限LINE判斷為對用戶有效且適當之訊息，"
           "不可傳送以營利/廣告為目的之訊息。", UX_GUIDELINE_URL),
    Clause("use-case-list", _("Allowed use cases (the list of 18)"), SALES_KIT,
           _("02 Use cases · list of applicable use cases"),
           "清單以外之內容，將由LINE審查是否對使用者有效且適當。"),
    Clause("use-case-4-5", _("Reservations: restaurants, offline services, offline events only"), SALES_KIT,
           _("02 Use cases · list, No. 4–5 (note)"), "僅限餐飲訂位、線下服務、線下活動"),
    Clause("use-case-9", _("Points earned, not free points from a promotion"), SALES_KIT,
           _("02 Use cases · list, No. 9 (note)"), "不可為促銷活動所贈送的免費點數"),
    Clause("use-case-11", _("OTP only for a sign-up that verifies the phone number"), SALES_KIT,
           _("02 Use cases · list, No. 11"),
           "當用戶申請成為會員，註冊流程中需要電話號碼作為驗證時，可傳送OTP以驗證身份"),
    Clause("new-use-case", _("New use cases are reviewed by LINE HQ each quarter"), SALES_KIT,
           _("04 Application process · Service Plan review")),
    Clause("next-step-related", _("A link or LIFF page must relate to the notification"), SALES_KIT,
           _("02 Use cases · guiding the user's next step"),
           "頁面內容需與通知內容相關。外導連結或LIFF頁面若與通知內容無關，LINE有權要求調整"),
    Clause("links-visible", _("Links are secure and show where they lead"), PORTAL,
           _("Derived from “guiding the user's next step” and the SMS comparison (unknown short links)"),
           "不知名的短網址"),
    Clause("message-objects", _("1–5 message objects; text up to 5,000 characters"), API_REFERENCE,
           _("Send endpoint · messages"), "", API_REFERENCE_URL),
    Clause("no-media", _("Flexible messages: no images, video or audio"), UX_GUIDELINE,
           _("UX guideline · flexible messages"), "", UX_GUIDELINE_URL),
    Clause("line-template", _("Template PNP: LINE's templates, items and buttons"), API_REFERENCE,
           _("Template messages · items and buttons"), "", API_REFERENCE_URL),
    Clause("variables-bounded", _("Variables cannot add copy of their own"), PORTAL,
           _("Derived from “no advertising”: a free-text value could carry an offer")),
    Clause("channels", _("Which channel: PNP, LINE push or SMS"), SALES_KIT,
           _("01 Product introduction · three channels; urgency table")),
    Clause("window-24h", _("24-hour window: a member may get both the SMS and the PNP"), SALES_KIT,
           _("05 Product specification · 03 failure cases"), "用戶不會收到該則通知型訊息"),
    Clause("sms-length", _("SMS: 70 characters a segment in Chinese, 160 in GSM-7"), SMS_STANDARD,
           _("Segment lengths (153 / 67 when split)")),
    Clause("urgency", _("PNP suits messages due within a day or more"), SALES_KIT,
           _("02 Use cases · urgency table")),
)  # fmt: skip
CLAUSES_BY_ID = {clause.id: clause for clause in CLAUSES}

# The clause each rule enforces (rule code → clause id); a rule not listed has no clause page.
RULE_CLAUSES: dict[str, str] = {
    "PROMO_WORDING": "no-advertising",
    "USE_CASE_POINTS": "use-case-9",
    "USE_CASE_RESERVATION": "use-case-4-5",
    "USE_CASE_OTP": "use-case-11",
    "USE_CASE_NEW": "new-use-case",
    "LINK_HTTPS": "links-visible",
    "LINK_DOMAIN": "next-step-related",
    "LINK_SHORTENER": "links-visible",
    "BUTTON_COMPLETE": "next-step-related",
    "BUTTON_RELATES": "next-step-related",
    "VAR_DEFINITION": "variables-bounded",
    "VAR_DECLARED": "variables-bounded",
    "VAR_UNUSED": "variables-bounded",
    "VAR_POSITION": "variables-bounded",
    "VAR_MAX_LENGTH": "variables-bounded",
    "CHANNELS": "channels",
    "LINE_MESSAGE_COUNT": "message-objects",
    "LINE_TEXT_LENGTH": "message-objects",
    "FLEX_STRUCTURE": "message-objects",
    "FLEX_NO_MEDIA": "no-media",
    "SMS_VARIANT": "channels",
    "SMS_EVENT_TIME": "window-24h",
    "SMS_IGNORE_LINE": "window-24h",
    "SMS_LENGTH": "sms-length",
    "URGENCY_CHANNEL": "urgency",
    "LINE_TEMPLATE": "line-template",
}


def clause_for_rule(rule_code: str) -> Clause | None:
    """Return the clause a rule enforces, or None."""
    clause_id = RULE_CLAUSES.get(rule_code)
    return CLAUSES_BY_ID.get(clause_id) if clause_id else None

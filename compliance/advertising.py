"""The advertising detector: what in a copy reads as advertising, where, and which clause it breaks.

LINE may stop a brand's PNP for any message "以營利/廣告為目的" (sales kit 2023). The
detector normalises the copy (so ``優\u200b惠``, ``ＳＡＬＥ`` or ``S.A.L.E`` read as what a
member sees), runs patterns per category over it, drops what falls inside a legitimate
phrase (``限時掛號``, ``免付費客服專線``...), weighs the template's use case, and returns
findings that each point back at the original text. ``block`` is clear advertising;
``review`` is likely advertising a reviewer confirms; nothing found is ``pass``.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from compliance import advertising_model
from compliance.choices import UseCase

# The longest copy checked ahead (the API and the admin page): a LINE text message's limit.
COPY_MAX_LENGTH = 5000

BLOCK = "block"
REVIEW = "review"
PASS = "pass"
_RANK = {PASS: 0, REVIEW: 1, BLOCK: 2}


# --- The clauses a finding cites ----------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """A clause of LINE's rules for PNP, with a stable id and where it is written."""

    id: str
    section: str
    quote: str
    summary: str | Promise


CLAUSES: dict[str, Clause] = {
    clause.id: clause
    for clause in (
        Clause(
            "pnp.no_advertising",
            "LINE TW sales kit 2023 §01, §04 (UX Guideline)",
            "不可傳送以營利/廣告為目的之訊息",
            _("No message whose purpose is profit or advertising."),
        ),
        Clause(
            "pnp.use_case_9",
            "LINE TW sales kit 2023 §03, use case 9",
            "不可為促銷活動所贈送的免費點數",
            _("Points earned only; not free points given by a promotion."),
        ),
        Clause(
            "pnp.use_case_scope",
            "LINE TW sales kit 2023 §03, use case list",
            "清單以外之內容，將由LINE審查是否對使用者有效且適當",
            _("Content must fit the listed use case; anything else is reviewed by LINE."),
        ),
        Clause(
            "pnp.use_case_11",
            "LINE TW sales kit 2023 §03, use case 11",
            "傳送OTP驗證碼－申請會員",
            _("A sign-up OTP carries the code and nothing else."),
        ),
    )
}


# --- Normalisation -------------------------------------------------------------------------------

# Zero-width characters and the soft hyphen are invisible to a member: dropped.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\ufe0e\ufe0f")
# Characters written for the numeral 一 (「買ー送ー」): the katakana long-vowel mark, bopomofo "i".
LOOKALIKES = {"\u30fc": "一", "\u3127": "一"}
# Separators an author may slip inside a word: collapsed between CJK characters and single letters.
# Decorative symbols count as separators too: arrows, shapes, stars, hearts, dingbats, emoji.
SEPARATORS = " \u3000.\\-_·*/|~\u30fb\u2027\u2022\u2190-\u21ff\u2500-\u27bf\u2b00-\u2bff\U0001f300-\U0001faff"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_COLLAPSE_CJK = re.compile(rf"(?<=[{_CJK}])[{SEPARATORS}]+(?=[{_CJK}])")
_COLLAPSE_LETTERS = re.compile(rf"(?<![a-z])[a-z](?:[{SEPARATORS}]+[a-z](?![a-z]))+")
_SEPARATOR_RUN = re.compile(rf"[{SEPARATORS}]+")


@functools.lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    if char in INVISIBLE:
        return ""
    return LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char).lower()


@dataclass(frozen=True)
class Normalised:
    """The copy as matched, and for each of its characters the index of the original one."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Return the original span of the normalised span [start, end)."""
        if end <= start:
            position = self.origin[start] if start < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
            return position, position
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    """NFKC, lower case, invisible characters dropped, separators inside words collapsed."""
    chars: list[str] = []
    origin: list[int] = []
    if text.isascii():
        chars = list(text.lower())
        origin = list(range(len(text)))
    else:
        for index, char in enumerate(text):
            for folded in _fold(char):
                chars.append(folded)
                origin.append(index)
    folded_text = "".join(chars)
    drop: set[int] = set()
    for match in _COLLAPSE_CJK.finditer(folded_text):
        drop.update(range(match.start(), match.end()))
    for match in _COLLAPSE_LETTERS.finditer(folded_text):
        for run in _SEPARATOR_RUN.finditer(match.group()):
            drop.update(range(match.start() + run.start(), match.start() + run.end()))
    if drop:
        keep = [i for i in range(len(chars)) if i not in drop]
        return Normalised("".join(chars[i] for i in keep), tuple(origin[i] for i in keep))
    return Normalised(folded_text, tuple(origin))


# --- Findings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class AdFinding:
    """One thing in the copy that reads as advertising."""

    code: str
    severity: str
    clause: str
    evidence: Evidence
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "clause": self.clause,
            "clause_section": CLAUSES[self.clause].section,
            "evidence": {"text": self.evidence.text, "start": self.evidence.start, "end": self.evidence.end},
            "params": dict(self.params),
        }

    @property
    def message(self) -> str:
        """The finding in the reader's language (rendered from code and params)."""
        template = MESSAGES.get(self.code, MESSAGES["ad.term"])
        return str(template) % {"text": self.evidence.text, **{k: v for k, v in self.params.items() if k != "text"}}


@dataclass(frozen=True)
class AdVerdict:
    verdict: str
    findings: tuple[AdFinding, ...]

    @property
    def advertising(self) -> bool:
        return self.verdict != PASS

    def of_severity(self, severity: str) -> list[AdFinding]:
        return [finding for finding in self.findings if finding.severity == severity]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "advertising": self.advertising,
            "findings": [finding.as_dict() for finding in self.findings],
        }


MESSAGES: dict[str, str | Promise] = {
    "ad.discount": _("Discount offer: “%(text)s”"),
    "ad.threshold_gift": _("Spend-threshold gift or discount: “%(text)s”"),
    "ad.buy_n_get_m": _("Buy-N-get-M offer: “%(text)s”"),
    "ad.coupon_code": _("Coupon or promo code: “%(text)s”"),
    "ad.cashback": _("Cash-back or bonus credit: “%(text)s”"),
    "ad.bonus_points": _("Bonus or free points from a promotion: “%(text)s”"),
    "ad.free_trial": _("Free trial or free period offered: “%(text)s”"),
    "ad.referral": _("Referral or invite reward: “%(text)s”"),
    "ad.lottery": _("Lottery, prize draw or check-in gift: “%(text)s”"),
    "ad.launch": _("Launch or new-arrival announcement: “%(text)s”"),
    "ad.cross_sell": _("Upgrade or cross-sell offer: “%(text)s”"),
    "ad.price_bait": _("Price bait: “%(text)s”"),
    "ad.urgency": _("Urgency or scarcity wording: “%(text)s”"),
    "ad.call_to_buy": _("Call to buy: “%(text)s”"),
    "ad.invitation": _("Invitation to a brand's event: “%(text)s”"),
    "ad.otp_extra": _("An OTP message carries more than the code: “%(text)s”"),
    "ad.term": _("Term on the promotional list: “%(text)s”"),
    "ad.likely": _(
        "Reads like advertising to the model trained on labelled copy (%(percent)s%%), most in “%(text)s”; words that weighed most: %(words)s"
    ),
}
CATEGORY_CODES = tuple(code for code in MESSAGES if code not in ("ad.term", "ad.otp_extra", "ad.likely"))


# --- Patterns ------------------------------------------------------------------------------------

# The copy is matched after NFKC, which turns a full-width comma into ",": a class that stops at a
# sentence, "[^。！!？?\n]", reaches across commas (a condition and its reward: 集滿7天，即可兌換); one
# that must stay inside a clause says "," (an upgrade and the next clause's 優惠 are two things).
_N = r"[\d一二兩三四五六七八九十]"  # a digit or a Chinese numeral
_AMOUNT = r"(?:nt\$|\$|新台幣|台幣)?\s*[\d,]+(?:\.\d+)?\s*(?:元|塊|twd|nt)?"
_AMOUNT_CJK = rf"(?:{_AMOUNT}|[一二兩三四五六七八九十百千萬]+元?)"
# What a member is offered: a gift, points, a coupon, money off, something free, a chance to win.
_BENEFIT = r"禮|點|券|金|折|元|免費|好康|優惠|回饋|抽|機會|贈|紅利|里程|\d"
# Words after a match that make it a statement about the member's own contract, not an offer.
_ENDING = r"(?:.{0,16}(?:到期|結束|截止|屆滿|已過|\bends?\b|\bended\b|\bexpires?\b|\bexpired\b|\bwill end\b|\bis ending\b|\bis over\b))"
# Words after a match that say the offer is over: a reply about an ended campaign advertises nothing.
_ENDED = r"(?:.{0,16}(?:已於[^。！？!?\n]{0,10}(?:結束|截止)|已(?:經)?(?:結束|截止|過期|停止)|\bhas\s+ended\b|\bended\s+on\b|\bis\s+over\b))"
# Use cases whose notices are about a deadline: wording about it running out is the point.
# Words before a coupon or discount that say the member used it on their own order.
_USED = r"(?<![請可])使用|已用|套用|used|applied"
DEADLINE_USE_CASES = frozenset(
    {UseCase.BILL, UseCase.PAYMENT_DUE, UseCase.DEADLINE_REMINDER, UseCase.RENTAL_DUE, UseCase.RESERVATION_REMINDER}
)


# --- Context ---------------------------------------------------------------------------------------

# A page or service that is down: the coupon or offer words name the page, they offer nothing.
SERVICE_FACT = (
    r"暫停(?:服務|使用|開放)|無法(?:使用|登入|連線|開啟|顯示|下單)|系統(?:維護|升級|異常)|維修中|流量過大|服務中斷|"
    r"(?:功能|服務|頁面|系統|網站|app)[^,。]{0,6}恢復|恢復(?:正常|服務|使用|上線)|"
    r"\bunavailable\b|\bunder\s+maintenance\b|\bis\s+down\b|\b(?:will\s+be\s+)?back\s+(?:online|up)\b"
)
# A sentence that reports what already happened to the member's own order, bill, points or booking:
# a discount applied, a coupon used or refunded, a benefit expiring, a fee computed under the contract.
FACT = re.compile(
    r"已?套用|已使用|使用之|(?:已|並)?折抵|已?扣除|已含|(?:帳單|費用|金額|保費)(?:已)?(?:包含|含)|退回|退還|退款|退費|"
    r"隨貨|隨訂單|一併寄出|到期|失效|逾期|已?計入|已?入帳|已?存入|應繳|實付|共計|計算|計費|說明|生效|"
    r"依.{0,8}(?:合約|條款|規定|規則|辦法|權益)|合約|條款|本次訂單|此筆訂單|本期帳單|帳單金額|本次(?:享有?|免|消費|交易|訂購|購買|維修|服務|訂單)|已完成|改期|改至|已取消|寄達|已?核准|核卡|已?核發|您的(?:訂單|包裹|商品|帳單|預約|訂位|課程|會籍|帳戶|門號|保單|卡片|信用卡|點數|里程)|"
    r"您(?:已)?(?:加購|購買|選購|預購|訂購|訂製|參加|申辦|申請|使用|報名|預約|預訂|選擇|選用)(?:的|之)|將於[^。！!？?\n]{0,16}(?:扣款|扣繳)|自動扣(?:款|繳)|您已(?:經)?(?:成功)?(?:報名|預約|預訂|申請|申辦|購買|訂購)|您正在|提醒您|請攜帶|入場|報到|"
    r"您(?:詢問|洽詢|查詢|提出)|已?(?:送達|出貨|寄出|交寄|簽收)|取件|取貨|(?:付款|扣款|繳費|交易)(?:已)?(?:完成|成功)|"
    + SERVICE_FACT
    + r"|\b(?:has|have)\s+(?:been\s+)?(?:shipped|delivered|dispatched)\b|\bwas\s+delivered\b|"
    r"\bapplied\b|\byou\s+paid\b|\bwas\s+charged\b|\bincluded\b|\bincludes\b|\bunder\s+your\s+contract\b|"
    r"\brefund(?:ed)?\b|\breturned\s+to\b|\b(?:has|have)\s+been\s+(?:received|credited|deposited)\b|\bexpir(?:e|es|ed|ing)\b|\bwill\s+be\s+charged\b|\byour\s+(?:order|booking|bill|plan)\b|\breminder\b|\byour\s+new\b|\bconfirmed\b|\bquestions?\s+about\b|如有(?:任何)?(?:疑問|問題)|有任何問題|恕不|不適用|"
    r"\byour\s+(?:free\s+)?(?:consultation|appointment|session|class|upgrade|payment|subscription|membership|reservation|fare|loan|policy|card|account)\b"
)
# Framing that turns a sentence into an offer whatever facts it also states: words that urge the
# member on or hand them something, and words that state what a benefit's terms allow.
URGING = re.compile(
    r"更(?:安心|有保障|划算|省|方便|優惠)|送您|送你|贈送您|再送|再享|再贈|加贈|另享|還能享|還可享|專屬|下次|下回|下一次|即日起|快來|快到|快去|趕快|趕緊|立即|馬上|別錯過|把握|推薦您|邀請您|全館|全店|全站|全面|全品項|活動期間|"
    r"\bnext\s+(?:order|purchase|visit|time|booking|trip|stay)\b|\bwith\s+our\b|\bpeace\s+of\s+mind\b|\bexclusive\b|\benjoy\b|\bclaim\b|\bgrab\b|\btreat\b|\byour\s+\w+\s+offer\b|\bdon'?t\s+miss\b|\bnow\b(?!\s+that\b)|\bsitewide\b|\bstorewide\b"
)
TERMS_STATED = r"可折抵|可抵用|另有|另外|最高|可(?:升級|加辦|加購|享)|指定(?:商品|品項|餐點)|\bup\s+to\b"
OFFER = re.compile(f"{URGING.pattern}|{TERMS_STATED}")
# A reply to what the member asked ("您詢問的停車折抵：…"): in the enquiry use case, stating the
# terms they asked about offers nothing, unless the sentence also urges them on.
REPLY = re.compile(
    r"\s*(?:您|你)(?:所|先前|日前|來電|來信)?(?:詢問|洽詢|查詢|提問|詢及)(?:的|之|有關|關於)|"
    r"\s*(?:regarding|about|re:?)\s+your\s+(?:question|enquiry|inquiry)\b|\s*you\s+asked\s+(?:about|whether|if|us)\b"
)


# A coupon or code is an offer unless the member used it, had it refunded, or is told it expires.
# What the member's own order holds or went through: a bundle bought, a payment received, a
# stamp card filled, a parcel shipped.
ORDER_FACT = re.compile(
    r"您(?:已)?(?:選購|購買|訂購|預購|加購)(?:的|之)|您已(?:完成)?(?:付款|付清|結帳)|已(?:出貨|寄出|送達|交寄)|本次訂單|此筆訂單|(?:付款|扣款|繳費)(?:已)?(?:完成|成功)|您(?:已經?)?集滿|"
    r"\byour\s+payment\s+for\b|\bpayment\b[^.!?\n]{0,40}\b(?:has\s+been|was)\s+received\b|\byou\s+(?:bought|ordered|purchased)\b|\bpurchase\s+(?:is|was|has\s+been)\s+(?:complete|completed|confirmed|successful)\b|\b(?:has|have)\s+(?:been\s+)?(?:shipped|delivered|dispatched)\b"
)
# A discount the member's own order or bill already had applied.
APPLIED_OR_ORDERED = re.compile(ORDER_FACT.pattern + r"|已套用|已折抵|\bapplied\b")
# An order that met a spend threshold: the benefit is on the member's own order, not offered.
QUALIFIED_FACT = re.compile(ORDER_FACT.pattern + r"|已(?:符合|達到|達成|滿足)|\bqualified\s+for\b")
# What the member chose that came with their order ("a free sample of the cream you selected").
CHOSEN_FACT = re.compile(
    ORDER_FACT.pattern
    + r"|\byour\s+order\s+(?:includes|included|contains|came\s+with)\b|\byou\s+(?:selected|chose|picked)\b"
)
# The member's own entry to a draw, a result they asked about, or the government's receipt lottery.
ENTRY_FACT = re.compile(
    r"您(?:已|已經)?(?:成功)?(?:報名|參加|登記|參與)(?:了|的|之)?(?![^。！!？?\n]{0,4}(?:即|就|可|再))|已(?:完成)?(?:報名|登記)|"
    r"(?:得獎|中獎)名單已(?:經)?(?:公布|公告)|您(?:詢問|洽詢|查詢|提出)|\byou(?:'re|\s+are|\s+have\s+been)\s+entered\b|\byour\s+entry\b"
)
RECEIPT_LOTTERY = re.compile(ENTRY_FACT.pattern + r"|發票|載具|\be-?invoice\b")
# A reward already credited to the member (a referral's bonus once the friend signed up).
CREDITED_FACT = re.compile(
    r"已(?:經)?(?:入帳|存入|發放|撥入|匯入)|\b(?:has|have)\s+been\s+(?:credited|deposited|added)\b"
)
# A points multiplier that is the member's tier, not a promotion.
TIER_FACT = re.compile(r"升等|升級為|晉升|會員等級|卡等|等級為|\b(?:tier|status)\b")
FACT_OR_TIER = re.compile(f"{FACT.pattern}|{TIER_FACT.pattern}")
USED_FACT = re.compile(
    r"已?套用|使用|已折抵|退回|退還|退款|到期|失效|逾期|\bapplied\b|\bused\b|\brefund(?:ed)?\b|\bexpir(?:e|es|ed|ing)\b"
)
SERVICE_OR_USED = re.compile(f"{USED_FACT.pattern}|{SERVICE_FACT}")
USED_OR_ORDERED = re.compile(f"{USED_FACT.pattern}|{ORDER_FACT.pattern}")
# When the member bought something: an event's name there dates their purchase, it urges nothing.
MEMBER_ACT = re.compile(r"您(?:於|在)[^,。！!？?\n]{0,12}?(?:消費|購買|訂購|刷卡|下單|購物)")


def _sentence_of(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` around [start, end)."""
    left = max((text.rfind(mark, 0, start) for mark in "。！？!?；;\n"), default=-1) + 1
    rights = [i for i in (text.find(mark, end) for mark in "。！？!?；;\n") if i != -1]
    return text[left : min(rights, default=len(text))]


def _factual(text: str, start: int, end: int, fact: re.Pattern[str], *, reply: bool = False) -> bool:
    """Whether the sentence around the match reports a fact about the member's own account and frames no offer.

    With ``reply`` (the enquiry use case), a sentence that answers what the member asked is such a fact.
    When the member bought something (「您於活動期間消費」) frames nothing: it is left out of the framing.
    """
    sentence = _sentence_of(text, start, end)
    if reply and REPLY.match(sentence):
        return not URGING.search(sentence)
    return bool(fact.search(sentence)) and not OFFER.search(MEMBER_ACT.sub("", sentence))


@dataclass(frozen=True)
class Pattern:
    code: str
    severity: str
    regex: re.Pattern[str]
    clause: str = "pnp.no_advertising"
    # A match followed by these words is no offer (e.g. "your free trial ends on 12/3").
    not_before: re.Pattern[str] | None = None
    # Use cases where the match is part of a legitimate notice.
    not_in: frozenset[str] = frozenset()
    # A match preceded by these words is no offer (e.g. "已使用折價券折抵": the member used one).
    not_after: re.Pattern[str] | None = None
    # Words that also state a fact about the member's own order, bill or booking: in a sentence
    # that reports such a fact (``已套用``, ``applied``, ``到期``...) and frames no offer, they pass.
    factual: re.Pattern[str] | None = None


# (start, end, pattern or None for a listed term, severity, params) over the normalised text.
_Match = tuple[int, int, "Pattern | None", str, dict[str, Any]]


def _p(
    code: str,
    severity: str,
    regex: str,
    *,
    clause: str = "pnp.no_advertising",
    not_before: str | None = None,
    not_in: Iterable[str] = (),
    not_after: str | None = None,
    factual: bool | re.Pattern[str] = False,
) -> Pattern:
    return Pattern(
        code,
        severity,
        re.compile(regex),  # the copy is lower case once normalised
        clause,
        re.compile(not_before) if not_before else None,
        frozenset(not_in),
        re.compile(rf"(?:{not_after})\s*$") if not_after else None,
        FACT if factual is True else (factual or None),
    )


PATTERNS: tuple[Pattern, ...] = (
    # Percentage and 折 discounts.
    _p("ad.discount", BLOCK, r"(?P<percent>\d{1,2}(?:\.\d+)?)\s*%\s*(?:off\b|discount|折扣|優惠)"),
    _p("ad.discount", BLOCK, r"\b(?:up\s+to|save|extra|get|enjoy|take)\s+(?P<percent>\d{1,2})\s*%"),
    _p("ad.discount", BLOCK, r"(?<![\d.])(?P<rate>[一二三四五六七八九\d]{1,2}(?:\.\d)?)\s*折(?![抵舊疊衷合算返騰線頁痕價券])", not_before=_ENDED, factual=APPLIED_OR_ORDERED),
    _p("ad.discount", BLOCK, r"(?<![已並])折\s*(?:nt\$|\$)?\s*\d[\d,]*\s*元", factual=True),
    _p("ad.discount", BLOCK, r"打\s*折|半價|半買半送|對折|買一送一|下殺|殺到|狂降|大減價|清倉|出清|破盤|大放送", not_before=_ENDED, factual=ORDER_FACT),
    _p("ad.discount", BLOCK, r"第\s*(?:[二三四五六七八九十]|[2-9]|10)\s*(?:件|杯|份|個|入|盒|位|人|瓶|串|包|支|雙|張|本|罐|條|組|堂|晚|客|碗|片)\s*(?:\d|[一二三四五六七八九]|半|免|只要|優惠|特|0\s*元|送|不用錢|不要錢)", not_before=_ENDED, factual=ORDER_FACT),
    _p("ad.buy_n_get_m", BLOCK, rf"{_N}+\s*(?:件|杯|份|個|盒|瓶|包|支|雙|碗)\s*同價|同價(?:加購|換購|帶走)|\b\d+\s+for\s+(?:nt\$|\$)?\s*\d+\b", factual=ORDER_FACT),
    _p("ad.discount", BLOCK, r"\b(?:flash|mega|big)\s*sale\b"),
    _p("ad.discount", BLOCK, r"\b(?:(?:big|mega|flash|spring|summer|autumn|winter|holiday|year-end|anniversary)\s+)?sale\b"),
    _p("ad.discount", BLOCK, r"\b(?:\d+%\s+)?(?:half\s+price|price\s+drop|markdowns?|clearance|bogo|best\s+deals?)\b"),
    # A bill states the fee with the contract's discounts: there the words alone are facts.
    _p("ad.discount", REVIEW, r"折扣|優惠|折價|優待|discount(?:s|ed)?\b|\bdeals?\b|\boffers?\b", not_before=_ENDING, not_in=(UseCase.BILL,), factual=True),
    _p("ad.discount", BLOCK, r"\bexclusive\s+(?:\w+\s+)?(?:offers?|deals?|rates?|perks?|prices?|savings|treats?|gifts?|rewards?|access)\b|\bfor\s+(?:just|only)\s+(?:nt\$|\$)\s*\d"),
    _p("ad.discount", BLOCK, rf"(?:現省|立省|現賺|直降|現折|再折|再省)\s*{_AMOUNT_CJK}|\bsave\s+(?:nt\$|\$|up\s+to|\d)|\band\s+save\b|\d+\s*(?:percent\s+(?:off|cheaper)|%\s+cheaper)\b|\b(?:a|one)\s+(?:third|quarter)\s+off\b|\bhalf\s+off\b"),
    _p("ad.discount", BLOCK, rf"(?:直接|現|立|再|多)省\s*{_N}+\s*個?月|(?:年繳|預繳|一次繳)[^。！!？?\n]{{0,8}}(?:省|送|免)\s*{_N}+\s*個?月"),
    _p("ad.discount", BLOCK, r"會員(?:日|價|獨享|專屬|限定)|(?:周|週)年慶|品牌日|購物節|雙\s*1[12]|黑色星期五|black\s*friday|cyber\s*monday", factual=True),
    _p("ad.discount", BLOCK, r"大?降價|大降|\bprice\s+cuts?\b|\breduced\s+prices?\b", factual=True),
    _p("ad.discount", BLOCK, r"特價|折扣價|特賣|(?:優惠|折扣|促銷|特價)(?:活動)?正?在?進行中|(?:熱烈|火熱)進行中|\b(?:holiday|weekend|weekday|lunch|seasonal|today'?s|christmas|festive|members'?)\s+specials?\b", factual=True),
    # Exclusivity: a benefit reserved for card holders, members or new customers.
    _p("ad.discount", BLOCK, r"(?:卡友|會員|新戶|新客|粉絲|學生|壽星)?(?:獨享|專享)|(?:貴賓|卡友|粉絲|vip|新戶|新客|學生)限定|\bunlock\s+(?:\w+\s+)?(?:perks|rewards|benefits|offers|savings|discounts)\b|\bwhen\s+you\s+(?:join|sign\s+up|subscribe|book|buy|spend|order|shop)\b|獨家(?:優惠|好康|折扣|價|販售|限定)|\bmembers?\s+(?:enjoy|get|save|receive)\b|享\s*\d+(?:\.\d+)?\s*%|利率(?:享|最高|高達)", factual=True),
    # Threshold gifts.
    _p("ad.threshold_gift", BLOCK, rf"滿\s*{_AMOUNT_CJK}\s*(?:件|個|杯|份|盒|瓶)?\s*(?:就|即|再|可|現)?\s*(?:送|折|贈|減|享|打|抽|回饋|免)", factual=QUALIFIED_FACT),
    _p("ad.threshold_gift", BLOCK, r"滿額|滿千|滿萬|滿百|消費滿|單筆滿", factual=True),
    _p("ad.threshold_gift", BLOCK, r"\b(?:orders?|purchases?|spend(?:ing)?)\s+(?:of\s+)?(?:over|above|of\s+at\s+least)\s+(?:nt\$|\$)\s*\d", factual=QUALIFIED_FACT),
    _p("ad.threshold_gift", BLOCK, r"\bspend\s+(?:nt\$|\$)?\s*\d[\d,]*.{0,20}?\b(?:get|receive|and\s+save|for\s+a)\b", factual=QUALIFIED_FACT),
    _p("ad.threshold_gift", BLOCK, r"\b(?:free\s+gift|gift\s+with\s+purchase|gwp)\b|好禮|加贈|送好禮|再送", factual=True),
    # A gift for a visit, a purchase, joining or a birthday, and a benefit the member is told to take.
    _p("ad.threshold_gift", BLOCK, r"(?:來店|消費|入會|加入|生日|壽星|見面|迎新|新戶|首購|開卡|滿額|感恩)[\u4e00-\u9fff]{0,2}禮|(?:即|就|再|加)贈|(?:入場|來店|到店|進店|消費|下單|報到|入會|註冊|簽到|加入)\s*(?:即|就)送|贈(?:送)?(?:精美|限量|專屬)|回饋(?:月|季|週|祭|好禮|價)|感恩回饋|\b(?:birthday|welcome|loyalty)\s+(?:treat|gift|reward|offer|bonus)\b", factual=True),
    _p("ad.threshold_gift", BLOCK, r"(?:可享|享有?(?!的)|即享|再享|獲得|拿|領)[^。！!？?\n]{0,6}?(?:禮(?!拜)|加油金|購物金|紅利)", factual=True),
    # A benefit named without saying what it is: likely an offer, for a reviewer.
    _p("ad.threshold_gift", REVIEW, r"(?:可享|享有?(?!的)|即享|再享|獲得|拿|領)[^。！!？?\n]{0,6}?(?:回饋|好康|折扣|優惠|補助|補貼|減免|優待)", factual=True),
    _p("ad.threshold_gift", BLOCK, r"送\s*[\u4e00-\u9fff]{1,6}?\s*(?:一|1|兩|2)\s*(?:份|杯|片|個|張|瓶|盒|組|堂|次|晚|碗|盤)|免\s*(?:掛號費|服務費|工本費|安裝費|入會費|開卡費|門票|入場費|月租)|\bcomplimentary\b|\bget\s+(?:a|an|one|your)?\s*free\b|\bfree\s+(?:cake|drinks?|coffee|dessert|meal|night|upgrade|gift)\b", factual=True),
    _p("ad.threshold_gift", BLOCK, rf"(?:即可|就能|就可以?|便可)\s*(?:獲得|領取|領|兌換|拿到|享有?|參加|抽)[^。！!？?\n]{{0,8}}?(?:{_BENEFIT})|最高(?:可)?(?:折抵|折|抵|回饋|送|享|贈|補助|可貸|貸|領|拿|得)?\s*{_AMOUNT_CJK}|以?舊換新|換新機", factual=True),
    _p("ad.threshold_gift", BLOCK, r"(?:^|[.!?])\s*spend\s+(?:over\s+|at\s+least\s+|more\s+than\s+)?(?:nt\$|\$)\s*\d"),
    # A gift shipped with the member's own order is a fact about it; any other mention is for a reviewer.
    _p("ad.threshold_gift", REVIEW, r"贈品|贈送", not_before=r".{0,8}(?:隨|併|一起|一併|同|另外)?.{0,6}(?:寄出|出貨|送達|寄送|配送)", factual=True),
    # Buy N get M.
    _p("ad.buy_n_get_m", BLOCK, rf"買\s*(?P<buy>{_N}+)\s*[\u4e00-\u9fff]?\s*(?:送|贈|得)\s*(?P<get>{_N}+)", not_before=_ENDED, factual=ORDER_FACT),
    _p("ad.buy_n_get_m", BLOCK, rf"任選\s*{_N}+\s*(?:件|個|盒|杯|入|份|瓶)\s*(?:送|只要|\d|折|再|共)|買(?:大|小)送(?:小|大)|\bfor\s+the\s+price\s+of\s+(?:one|two|\d)\b"),
    _p("ad.buy_n_get_m", BLOCK, rf"只(?:算|收|付|要付)\s*{_N}+\s*[\u4e00-\u9fff]?的?(?:錢|價錢|價格|費用)|買\s*{_N}+\s*付\s*{_N}+", factual=ORDER_FACT),
    _p("ad.buy_n_get_m", BLOCK, r"買就送|買即送|買就贈|加價購|加(?:價)?\s*\d+\s*元\s*(?:多|換|加|送|得|升級|享)|\bstay\s+\d+\s*(?:nights?)?,?\s*pay\s+(?:for\s+)?\d+\b|\bpay\s+for\s+(?:one|two|\d)\b"),
    _p("ad.buy_n_get_m", BLOCK, r"第二件|第2件|\bbuy\s+(?:one|two|\d+)\b.{0,20}?\bget\s+(?:a|one|another|the)?\s*(?:second|2nd|another|free)\b", factual=True),
    _p("ad.buy_n_get_m", BLOCK, r"\bbuy\s+(?:\d+|one|two|three)\s*,?\s*get\s+(?:\d+|one|two|a|another)\b|\bbuy\s+(?:any\s+)?(?:\d+|one|two|three|four|five)\b[^.!?\n]{0,30}?\bget\s+(?:a|an|one|another|the|\d)\b", factual=ORDER_FACT),
    # Coupon and promo codes.
    _p("ad.coupon_code", BLOCK, r"(?:優惠|折扣|折價|折抵|抵用|現金|購物|促銷)\s*(?:代碼|碼|券|卷|序號)|折價卷|\bcoupons?\b|\bpromo(?:tion(?:al)?)?\s*codes?\b|\bdiscount\s+codes?\b", not_after=_USED, factual=SERVICE_OR_USED),
    _p("ad.coupon_code", BLOCK, r"\b(?:use|enter|apply)\s+(?:the\s+)?code\s+[a-z0-9]{3,}|輸入\s*(?:代碼|序號|優惠碼)?\s*[a-z0-9]{4,}\s*(?:即|享|可|折|再|立即|馬上|現折|現省)"),
    _p("ad.coupon_code", REVIEW, r"憑\s*(?:此|本)?\s*(?:訊息|簡訊|畫面|截圖|通知|券)[^。！!？?\n]{0,10}(?:出示|享|折|兌換|換|領取)", factual=True),
    _p("ad.coupon_code", REVIEW, r"禮券|\bvouchers?\b|\bgift\s+cards?\b", factual=USED_OR_ORDERED),
    # Cash-back and stored-value bonuses.
    _p("ad.cashback", BLOCK, r"最高(?:回饋|送|享|贈)|現金回饋|刷卡金|首刷禮|新戶禮|加碼回饋"),
    # A rate credited under the member's tier rules is points earned; offered, it is cash-back.
    _p("ad.cashback", BLOCK, r"回饋\s*\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?\s*%\s*(?:現金)?回饋", factual=FACT_OR_TIER),
    # A reward for a first order, top-up or sign-up.
    _p("ad.cashback", BLOCK, r"首(?:次|筆|單)\s*(?:下單|消費|刷卡|加值|儲值|申辦|購買|交易|綁定|入金|投資|申購)[^。！!？?\n]{0,12}?(?:送|贈|享|回饋|退還|全額退|免|折|抵|得|領)", factual=ORDER_FACT),
    _p("ad.cashback", BLOCK, rf"儲值\s*{_AMOUNT_CJK}\s*(?:送|贈|加)|儲值(?:金)?加碼|送(?:你|您)?\s*{_AMOUNT_CJK}(?:購物金|折價|現金|紅利|元)"),
    _p("ad.cashback", BLOCK, r"(?:每|一)[\u4e00-\u9fff]{1,3}回饋\s*\d|回饋\s*(?:nt\$|\$)?\s*\d[\d,]*\s*(?:元|點|%)", factual=True),
    _p("ad.cashback", BLOCK, r"\bcash\s*-?back\b|\b\d+(?:\.\d+)?\s*%\s*back\b|\b(?:bonus|extra)\s+(?:credit|cash|balance)\b|\btop\s*-?\s*up\b.{0,30}\b(?:get|extra|bonus)\b|\btop\s*-?\s*up\s+bonus\b|\b(?:get|earn|receive)\s+(?:nt\$|\$)\s*\d[\d,]*\s+back\b"),
    _p("ad.cashback", BLOCK, rf"新(?:會員|戶|客)[^。！!？?\n]{{0,8}}?(?:禮金|好禮|購物金|見面禮)|(?:再|就|即|可|還)領\s*{_AMOUNT_CJK}\s*(?:禮金|購物金|回饋金|紅包|抵用金)|(?:領|獲得)\s*{_AMOUNT_CJK}\s*回饋金", factual=True),
    # Bonus points (use case 9 forbids them; everywhere else they are promotion too).
    _p("ad.bonus_points", BLOCK, r"贈點|送點|加碼|免費點數|紅利加碼|回饋活動|活動贈送|點數大放送", clause="pnp.use_case_9"),
    # A multiplier credited under the member's tier rules is points earned; offered, it is a promotion.
    _p("ad.bonus_points", BLOCK, r"加倍(?:送|贈|回饋|累積)|點數(?:加倍|翻倍|雙倍)|(?:雙|兩|三|\d)\s*倍\s*(?:點|紅利|積分|累積|送|回饋)|點數.{0,6}(?:雙倍|加倍|翻倍)", clause="pnp.use_case_9", factual=FACT_OR_TIER),
    _p("ad.bonus_points", BLOCK, r"\b(?:bonus|free|double|triple|extra|\d+x)\s+(?:points|miles|rewards)\b", clause="pnp.use_case_9"),
    _p("ad.bonus_points", BLOCK, rf"點數\s*{_N}+(?:\.\d+)?\s*倍", clause="pnp.use_case_9", factual=TIER_FACT),
    # Points given for doing something (a survey, a download, a sign-up) or given on top.
    _p("ad.bonus_points", BLOCK, rf"(?:再|多|加|額外|就|即|還)?送\s*{_N}+\s*(?:點|倍|積分|紅利)|(?:問卷|任務|下載|綁定|註冊|打卡|評論|評價|分享|簽到)[^。！!？?\n]{{0,10}}(?:獲得|送|得|拿|領)\s*{_N}+\s*(?:點|積分)", clause="pnp.use_case_9", factual=True),
    # Free trials and free months.
    _p("ad.free_trial", BLOCK, r"免費\s*(?:試用|體驗|試吃|試聽|試乘|試騎|試駕|試穿|試玩|試喝|試上|領取|兌換|升級|看|送|索取|申請|拿)|試用(?:包|品|組|裝|價)|首月\s*(?:免費|0元)|(?:前|首)\s*[\d一二兩三四五六七八九十]+\s*(?:個月|天|週|年)\s*免費|0\s*元\s*(?:體驗|試用|入手|開通|升級)", not_before=_ENDING, factual=True),
    _p("ad.free_trial", BLOCK, rf"(?:享|送|贈|獲得|可得|即享|再享|就送)\s*免費|第\s*[一1]\s*(?:堂|次|杯|晚|份|個月)\s*(?:免費|0\s*元)|(?:前|首)\s*{_N}+\s*(?:個月|期|天|週|年)[^。！!？?\n]{{0,6}}?(?:免費|0\s*元|半價)", not_before=_ENDING, factual=True),
    # A period of a service given free, and a trial's "cancel before it ends and pay nothing".
    _p("ad.free_trial", BLOCK, rf"{_N}+\s*(?:天|日|週|周|個月)\s*免費(?:看|用|玩|聽|試|體驗|暢|享|無限|使用)|首\s*(?:堂|次|杯|晚|份|單|趟|月)[\u4e00-\u9fff]{{0,4}}(?:免費|0\s*元|半價)", not_before=_ENDING, factual=ORDER_FACT),
    _p("ad.free_trial", BLOCK, r"(?:到期前|期滿前|期間內|隨時)\s*(?:可)?\s*取消\s*(?:不收費|免費|不扣款|免付費|不另收費)|\bcancel\s+(?:any\s*time|before)\b[^.!?\n]{0,30}\b(?:free|no\s+charge|not\s+be\s+charged)\b"),
    # Free shipping stated on the member's own order is a fact about it; offered, it is an incentive.
    _p("ad.free_trial", BLOCK, r"免運|\bfree\s+(?:shipping|delivery)\b", not_before=_ENDING, factual=True),
    _p("ad.free_trial", BLOCK, r"\bfree\s+samples?\b", factual=CHOSEN_FACT),
    _p("ad.free_trial", BLOCK, r"\bfree\s+(?:trial|month|months|for\s+\d+|upgrade)|\b(?:first|\d+)\s+months?\s+(?:free|on\s+us)|\btry\s+(?:it\s+)?(?:for\s+)?free\b|\bfirst\s+\w+\s+(?:is\s+)?(?:free|on\s+us)\b|\bon\s+(?:us|the\s+house)\b|\btry\b[^.!?\n]{0,30}\bfree\b|\bfree\s+for\s+(?:a|one|two|three|\d+)\s+(?:months?|weeks?|days?)\b", not_before=_ENDING),
    # Referral and invite rewards.
    _p("ad.referral", BLOCK, rf"(?:推薦|邀請|介紹|分享給?)\s*(?:{_N}+\s*(?:位|名|個))?\s*新?\s*(?:好友|朋友|親友)|揪\s*(?:朋友|好友|團|親友)|呼朋引伴|好友推薦|推薦碼|邀請碼", factual=CREDITED_FACT),
    _p("ad.referral", BLOCK, r"邀\s*(?:請)?\s*(?:您的)?(?:好友|朋友|親友|家人|同事)|帶\s*(?:朋友|好友|家人|親友)|(?:兩|二|2)\s*人同行|同行(?:者)?\s*(?:各|再|即|享|送|免費|半價)|好友[^。！!？?\n]{0,6}(?:消費|辦卡|下單|註冊|加入|來店)|分享[^。！!？?\n]{0,8}(?:連結|網址|推薦)[^。！!？?\n]{0,10}(?:送|贈|得|享)", factual=CREDITED_FACT),
    _p("ad.referral", BLOCK, r"\brefer\s+(?:a\s+)?friends?\b|\binvite\s+(?:your\s+)?friends?\b|\breferral\b|\bbring\s+a\s+friend\b|\byour\s+friends?\s+(?:get|gets|receive|earn|save|will\s+get)\b|\bshare\s+your\s+(?:referral\s+|invite\s+|unique\s+|personal\s+)?(?:link|code)\b|\bfor\s+every\s+(?:friend|sign-?up|referral)\b", factual=CREDITED_FACT),
    # Lotteries and check-in gifts.
    _p("ad.lottery", BLOCK, rf"抽獎|抽\s*(?:中|出|大獎|好禮|iphone|機票)|抽\s*{_N}+\s*(?:位|名|人)|\blucky\s+(?:members?|winners?|customers?|guests?|fans?|users?)\b|大獎|幸運兒|獎品|(?:打卡|簽到|集點|集章)\s*(?:送|禮|抽|就送|拿|領|換)|\b(?:lucky\s+draw|sweepstakes?|giveaway|raffle)\b|\bwin\s+(?:a|an|one|free|big)\b|\bcheck\s*-?\s*in\s+(?:to\s+)?(?:win|get|for)\b", factual=ENTRY_FACT),
    _p("ad.lottery", BLOCK, r"(?:填問卷|填寫問卷|留言|分享|按讚|評論|評價|報名|登錄發票|登錄)\s*(?:就|即|再|還)?\s*(?:抽|送|拿|領)|\bwin\s+(?:prizes?|cash|big)\b|\bprizes?\b"),
    _p("ad.lottery", REVIEW, r"中獎", factual=RECEIPT_LOTTERY),
    _p("ad.lottery", BLOCK, r"(?:簽到|集滿|集點|集章)[^。！!？?\n]{0,12}?(?:兌換|送|換|領|抽|免費|半價)|\b(?:a\s+)?chance\s+to\s+win\b|\benter\s+to\s+win\b", factual=True),
    # Launches and new arrivals.
    _p("ad.launch", BLOCK, r"新品|新上市|上市了|全新(?:推出|登場|上市|上架|開幕|口味|菜單)|隆重登場|強勢登場|重磅登場|新登場|搶先看|新口味|新菜色|新款|新開幕|盛大開幕|季節限定|期間限定|(?:本季|當季|本月|本週|地區|門市|網路|線上|網購|冬季|夏季|春季|秋季|冬日|夏日)限定|開放預購|預購(?:開跑|中|開始)|搶先預購|(?:春|夏|秋|冬)季限定|限定(?:版|款|口味|商品|杯)|聯名|嚐鮮|新(?:菜單|品項|系列|產品|門市|分店)|(?:分店|門市|新店|新館|分館|旗艦店|新址)[^,。！!？?\n]{0,10}?(?:開幕|開張|登場|試營運)|開幕(?:囉|慶|了|週|周|期間|首週)", factual=True),
    _p("ad.launch", BLOCK, r"\bnew\s+(?:[a-z]+\s+)?(?:arrivals?|collection|season|menu|flavou?rs?|products?|in\s+store|styles?)\b|\bjust\s+(?:launched|dropped|landed|arrived)\b|\bintroducing\b|\bcheck\s+out\s+(?:our|what|the\s+new|these|the\s+latest)|\bwhat'?s\s+new\b|\bcoming\s+soon\b|\bgrand\s+opening\b", factual=True),
    _p("ad.launch", BLOCK, r"開賣|現正(?:開賣|熱賣|販售|供應|預購)|(?:季|甜點|口味|商品|菜單|系列|經典|人氣|強勢)[\u4e00-\u9fff]{0,3}回歸|回來囉|回來了|上桌囉?|\b(?:collection|range|line-?up|menu|season)\s+(?:has|have|is)\s+(?:arrived|here|landed|out)\b|\bexplore\s+(?:it|them|our|the\s+new)\b|\bnow\s+available\b|\bout\s+now\b|\bnew\s+in\b|\bdiscover\s+(?:our|the|what|new)\b|\bnew\s+(?:[a-z]+\s+)?(?:line|range|line-?up|models?|release)\b", factual=True),
    _p("ad.launch", BLOCK, r"\b(?:our|all-new|brand-new)\s+(?:[\w-]+\s+){0,4}(?:is|are)\s+(?:here|out|now\s+available|in\s+stores?)\b|\bsee\s+what'?s\s+(?:new|in\s+store)\b"),
    _p("ad.launch", REVIEW, r"最新(?:商品|產品|款式|系列|優惠|活動|消息|上市)", factual=True),
    _p("ad.launch", REVIEW, r"新[\u4e00-\u9fff]{1,8}(?:上線|上市|推出|開課|上架|報到|登場)", factual=True, not_in=(UseCase.OUTAGE,)),
    _p("ad.launch", REVIEW, r"登場|上市(?!櫃|公司)", factual=True, not_in=(UseCase.OUTAGE,)),
    # Upgrades and cross-sell.
    _p("ad.cross_sell", BLOCK, r"預核|預先核准|專屬額度|立即動用|\bpre-?qualified\b"),
    _p("ad.cross_sell", BLOCK, r"額度(?:可|即可|能|可以)再?(?:提高|提升|調高|調升|加大)|可再?(?:提高|提升|調高|調升)(?:您的)?(?:信用卡)?額度|\b(?:you\s+can|you\s+could|eligible\s+to)\s+(?:increase|raise)\s+your\s+(?:credit\s+|card\s+)?limit\b"),
    _p("ad.cross_sell", BLOCK, r"利率\s*(?:最低)?\s*\d+(?:\.\d+)?\s*%\s*起|低利|最快\s*.{0,6}撥款|免保人|秒核|線上(?:申辦|申請|投保).{0,10}(?:享|送|禮|優惠)|(?:申辦|加辦|辦卡|開戶|投保|續約|升級|轉換|攜碼)[^,。！!？?\n]{0,6}?(?:送|享|贈|禮|優惠|抽)|免年費", factual=True),
    _p("ad.cross_sell", BLOCK, r"\b(?:rates?|apr|interest)\s+(?:from|as\s+low\s+as)\s+\d|\bpre-?approved\b|\bapply\s+(?:now|today)\b|\bupgrade\s+(?:now|today)\b|\bswitch\s+(?:now|today)\b"),
    _p("ad.cross_sell", REVIEW, r"加購|升級(?:方案|為|至|到)|專屬方案|推薦(?:您|你|搭配|申辦|加辦|加購|選購)|為您推薦|猜你喜歡|您可能(?:也)?(?:會)?(?:喜歡|需要)|\bupgrade\s+to\b|\byou\s+(?:may|might)\s+also\s+like\b|\brecommended\s+for\s+you\b|\badd\s+(?:on|an?\s+extra)\b", factual=True),
    _p("ad.cross_sell", BLOCK, r"(?:0|零)\s*利率|\b0\s*%\s*(?:apr|interest)\b|最高\s*\d+\s*期", factual=True),
    _p("ad.cross_sell", REVIEW, r"(?:可|能|即可)\s*(?:升級|加辦|加購|轉換)|\bprotect\s+(?:your|you)\b|\bnew\s+(?:[a-z-]+\s+){0,2}(?:plans?|cards?|accounts?|services?|packages?|policy|policies)\b", factual=True),
    _p("ad.cross_sell", BLOCK, r"熱銷|必買|爆款|好物推薦|人氣(?:商品|推薦|王)", factual=True),
    # An upgrade priced by what it adds each month, or named by the plan it moves to.
    _p("ad.cross_sell", BLOCK, rf"每月(?:只要?|僅需?)?多(?:付|繳|花)?\s*{_AMOUNT_CJK}|多付\s*{_AMOUNT_CJK}\s*(?:即可|就)", factual=True),
    _p("ad.cross_sell", REVIEW, r"升級\s*(?:\d+\s*g|[\u4e00-\u9fff]{0,4}(?:方案|吃到飽|寬頻|網速|會員|艙|房型|等級|版|套餐))|\badd\s+(?:[a-z-]+\s+){0,3}(?:insurance|cover|coverage|protection|warranty)\b|\binsurance\s+plan\b|\bpeace\s+of\s+mind\b", factual=True),
    _p("ad.cross_sell", REVIEW, r"為您精選|精選(?:商品|好物|推薦)|本週推薦|(?:就|一次|輕鬆|一鍵)搞定|全家人?的保障|保障(?:全家|更完整|升級)|\b(?:talk|speak|ask|apply|get|need|consider|protect|unlock)\b[^.?!\n]{0,25}\b(?:loans?|mortgages?|insurance|cover|plans?|packages?|perks|benefits)\b", factual=True),
    # A value claim: what the member would gain by taking a plan or product.
    _p("ad.cross_sell", REVIEW, r"(?:最|超|更|很)划算|\bbetter\s+value\b", factual=True),
    _p("ad.cross_sell", REVIEW, r"為您規劃|理財(?:規劃|方案|諮詢)|退休規劃|資產配置", factual=True),
    # A product offered to the member: a marketing verb, or second-person framing, near a product noun.
    _p("ad.cross_sell", REVIEW, r"(?:推薦|申請|申辦|加辦|加保|投保|洽詢|辦理|別忘了|不妨|符合[^,。]{0,4}資格)[^。！!？?\n]{0,10}?(?:信貸|信用貸款|房貸|車貸|轉貸|保險|[險]|附約|白金卡|御璽卡|鈦金卡|無限卡|信用卡|數位帳戶|方案|吃到飽|門號|寬頻|網路|光纖|電視|救援|保障|會員|課程|療程)|加保|專屬[\u4e00-\u9fff]{0,4}(?:方案|優惠|禮遇|好禮|價|折扣|回饋|額度)|\badd\s+(?:an?\s+)?(?:extended|extra)\s+\w+|\b(?:you\s+(?:are|'re)\s+)?eligible\s+(?:for|to)\s+(?:an?\s+)?(?:upgrade|new|our|a\s+higher)\b", factual=True),
    # Price bait.
    _p("ad.price_bait", BLOCK, rf"(?:只要|只需|僅需|僅要|只賣|不到|低至|下殺至?)\s*(?:每月|月付|月繳|每人|每位|每份|一次)?\s*{_AMOUNT_CJK}|最低\s*{_AMOUNT_CJK}\s*起|(?:nt\$|\$)\s*[\d,]+\s*元?\s*起(?!迄|算|日|至)|[\d,]+\s*元\s*起(?!迄|算|日|至)|(?:最|超)?高價(?:收購|回收)|現金收購|銅板價|超殺|超值|超低價|甜甜價|驚喜價|體驗價|均一價|早鳥|(?:配|吃|喝|唱|玩|洗|剪)好(?:配|吃|喝|唱|玩|洗|剪)滿|(?:年度|全年|史上|全台|網路)最低|最低價"),
    _p("ad.price_bait", BLOCK, rf"{_AMOUNT_CJK}\s*有找|\bfor\s+(?:under|less\s+than|below)\s+(?:nt\$|\$)\s*\d"),
    _p("ad.price_bait", BLOCK, rf"{_AMOUNT}\s*(?:就能|就可以?|即可|便能)\s*(?:擁有|帶回|入手|享受|享|吃到|住|換)"),
    _p("ad.price_bait", BLOCK, r"(?:每人|每位|每晚|每月|每堂|一人)\s*(?:nt\$|\$)?\s*[\d,]+\s*元?\s*起|(?<![\d/:.])\d{1,3}(?:,\d{3})+\s*元?\s*起(?!迄|算|日|至)|(?<![\d/:.])\d[\d,.]*\s*萬\s*元?\s*起(?!迄|算|日|至)"),
    _p("ad.price_bait", REVIEW, r"(?:套餐|雙人餐|單人餐|組合|禮盒|吃到飽|全餐|療程|月付|月繳|每月只要)\s*(?:只要|僅|特價)?\s*(?:nt\$|\$)?\s*\d[\d,]*\s*元", factual=True),
    _p("ad.price_bait", BLOCK, r"\bas\s+low\s+as\b|\bonly\s+(?:nt\$|\$)\s*\d|\b(?:starting|prices?)\s+(?:at|from)\s+(?:just\s+|only\s+)?(?:nt\$|\$)?\s*\d|\bfrom\s+(?:just\s+)?(?:nt\$|\$)\s*\d[\d,]*\b(?!\s*(?:has|was|to))|\bearly\s*bird\b|\bunbeatable\b"),
    # Urgency and scarcity.
    _p("ad.urgency", BLOCK, r"限時(?!掛號|專送|郵件|快遞)|限量|錯過不再|(?:售|賣|送)完為止|額滿為止|數量有限|名額有限|欲購從速|要買要快|最後\s*\d+\s*(?:名|組|件|個|份)|只剩\s*\d+\s*(?:名|組|件|個|份)|(?:今日|本日|今天|本週|週末|周末|本月|當日)(?:限定|限時|下單|最後)|快閃", factual=True),
    _p("ad.urgency", BLOCK, r"\btoday\s+only\b|\blimited[\s-]+(?:time|stock|offer|edition|quantities)\b|\bwhile\s+(?:stocks?|supplies)\s+last\b|\blast\s+chance\b|\bhurry\b|\bdon'?t\s+miss\b|\bonly\s+(?:a\s+few|\d+)\s+(?:\w+\s+)?left\b|\bbefore\s+(?:prices?\s+go\s+up|it'?s\s+gone|they'?re\s+gone|stocks?\s+run\s+out)\b|\b(?:this\s+(?:week|weekend)|24\s+hours?)\s+only\b|\bends\s+(?:tonight|today|soon|this|on\s+(?:sunday|monday|friday|saturday))\b|\bsells?\s+out\b", factual=True),
    _p("ad.urgency", BLOCK, rf"名額(?:只剩|僅剩|有限|不多)|錯過(?:今天|今日|這次|本次|此次|這週|本週|這一波|這波)|(?:只剩|僅剩)\s*(?:最後)?\s*{_N}+\s*(?:位|名|席|組|間|件|個|份|張|台|套|箱|瓶|盒|雙|支|包|罐|輛)|要[\u4e00-\u9fff]{{1,2}}要快|別錯過|不要錯過|把握(?:最後)?(?:機會|時間)|\blimited\s+(?:seats|spots|places|availability|slots)\b|\b(?:seats|spots|places|slots)\s+(?:are\s+)?(?:left|remaining|going\s+fast)\b|\bselling\s+fast\b|\bact\s+(?:now|fast)\b"),
    _p("ad.urgency", BLOCK, r"(?:售完|賣完)\s*(?:就)?\s*(?:不再|不)補貨|不再補貨|(?:價格|價錢|售價)\s*(?:即將|就會|將)?\s*(?:調回|恢復|回復)|恢復原價|回復原價|回到原價", factual=True),
    _p("ad.urgency", REVIEW, r"倒數|即將(?:截止|結束|售完|完售|額滿)|最後\s*\d+\s*(?:天|小時|日)|\bcountdown\b|\bending\s+soon\b|\blast\s+\d+\s+(?:days|hours)\b|(?:活動|優惠|特價|折扣)[^。！!？?\n]{0,8}(?:今晚|今天|今日|本週|明天)[^。！!？?\n]{0,6}(?:截止|結束)", not_in=DEADLINE_USE_CASES),
    # Imperative calls to buy.
    _p("ad.call_to_buy", BLOCK, r"(?:立即|立刻|馬上|現在就?|趕快|趕緊|快來|快去|快上|快到|快點|速來)[^。！!？?\n]{0,8}?(?:搶購|搶|購買|下單|選購|挑選|挑|選|訂購|入手|購|買|申辦|辦卡|逛|參加|領取|加入會員|升級|開通|訂房|訂票|訂位|訂餐|動用|試算|預約|報名|體驗|申請|洽詢|預訂|索取)|(?:點選|點擊|點)\s*(?:下方)?\s*(?:連結|網址|link)[^。！!？?\n]{0,6}?(?:直接|立即|馬上)?\s*(?:下單|購買|訂購|選購|搶購)|(?:快|趕快|趕緊)\s*(?:帶|揪|約)[^。！!？?\n]{0,8}(?:來|去|一起)|心動不如行動|還在猶豫|猶豫什麼|還等什麼|怎能錯過|怎麼能錯過|帶走(?:它|他|她|吧|一)|帶(?:它|他|她)回家|點\s*(?:我|此|這裡|擊)\s*(?:馬上|立即|立刻)?\s*(?:訂購|購買|選購|搶|領|報名|預約|申辦|下單|逛)|手刀|搶先|開搶|快搶|秒殺|瘋搶|衝一波|帶回家"),
    _p("ad.call_to_buy", BLOCK, r"\b(?:shop|order|buy|book|subscribe|grab|claim)\s+(?:yours\s+)?(?:now|today)\b|\b(?:get|add|book|reserve)\s+yours\b|\bgrab\s+(?:yours|one|it)\b|\bdon'?t\s+wait\b|\bsign\s+up\s+(?:now|today)\b|\badd\s+to\s+cart\b|\b(?:click|tap)\s+(?:here\s+|below\s+|the\s+link\s+(?:below\s+)?)?(?:to|and)\s+(?:buy|shop|order|get|claim|grab|save)\b|\bstock\s+up\b|\btreat\s+yourself\b|\bgrab\s+(?:this|these|the|a|an|your)\b"),
    # "您搶購的…已出貨" is the member's own purchase, reported.
    _p("ad.call_to_buy", BLOCK, r"搶購", not_after=r"您(?:已經?)?(?:成功)?"),
    _p("ad.call_to_buy", BLOCK, r"還沒(?:買|訂|搶|入手|下單|預購|預訂|報名|辦)[^。！!？?\n]{0,6}(?:嗎|呢)"),
    _p("ad.call_to_buy", BLOCK, r"現在\s*(?:續保|續約|換約|攜碼|換機|加入|購買|下單|申辦|預訂|升級|報名|辦卡|入手|訂)|\bshop\s+(?:our|the|all|these|new|online)\b"),
    # Second-person prompts to come, look or buy: an abandoned cart, a rhetorical question, "come and see".
    _p("ad.call_to_buy", REVIEW, r"(?:來|快來|歡迎)\s*(?:看看|逛逛|瞧瞧|參觀|體驗|試試|選購)|歡迎(?:預約|預訂|訂位|選購|光臨|來店)|來\s*(?:一|1)\s*(?:碗|杯|份|盤|客|個|顆|趟)|就來(?:我們|本店|門市|店裡)|就來[\u4e00-\u9fff]{0,6}(?:吧|試試|看看|走走|坐坐)|試試看吧|來[\u4e00-\u9fff]{0,6}(?:試試|看看|逛逛)吧|\b(?:thinking\s+(?:about|of)|looking\s+for|ready\s+for|want\s+(?:more|a\s+new|to\s+(?:save|win|get|try|upgrade))|need\s+(?:a\s+new|more|a\s+break))\b[^.?!\n]{0,30}\?|\blevel\s+up\b|\b(?:you|your\s+\w+)\s+deserves?\b|\bpamper\b|\bindulge\b|(?:^|[.!?,;:—–\n]\s*|\band\s+|\bto\s+)(?:book|order|reserve|try|join|visit|shop)\b(?!\s+(?:has|was|is|will|#))[^.!?\n]{0,40}\b(?:today|now|this\s+(?:week|weekend|month))\b|購物車[^。！!？?\n]{0,10}(?:等|還在|別忘|結帳)|想(?:要|省|賺|擁有|享受|試試|來點|更(?!改|換|正|新))[^。！!？?\n]{0,12}嗎|\b(?:items?|something)\s+(?:left\s+)?in\s+your\s+cart\b|\byour\s+cart\s+is\s+waiting\b|\bvisit\s+us\b|\bcome\s+(?:and\s+)?(?:see|visit|try|take\s+a\s+look|check)\b|\blooking\s+for\s+an?\s+new\b", factual=True),
    # Invitations to a brand's event.
    _p("ad.invitation", REVIEW, r"慶祝[^。！!？?\n]{0,8}(?:週年|周年|開幕|開張|誕|節)|歡慶|同慶|開放(?:預訂|訂位|報名|預購)|名額開放|開放名額|\bcelebrate\s+with\s+us\b|\bour\s+(?:birthday|anniversary)\b|驚喜(?:連連|價|好禮|不斷)|[十\d]+\s*(?:週|周)年|(?:市集|展覽|派對|講座|快閃|音樂會|演唱會|祭|嘉年華)[^。！!？?\n]{0,8}(?:登場|開跑|舉辦|開幕)|活動開跑", factual=True),
    _p("ad.invitation", REVIEW, r"誠摯邀請|邀請您(?:參加|出席|蒞臨|一同|來)|招生中|(?:開始|熱烈|火熱)招生|招生(?:開跑|開始)|歡迎(?:蒞臨|參加|報名|來店)|報名中|開放報名|熱烈報名|即日起(?:開放)?報名|\byou'?re\s+invited\b|\bjoin\s+(?:us|our)\b|\bfree\s+(?:class(?:es)?|workshop|lesson|tasting|seminar)\b|\bwe\s+invite\s+you\b|\brsvp\b", factual=True),
)  # fmt: skip

# Most copy (and nearly every send-time value) holds nothing: one pass over it with every
# pattern at once tells, and only then is each pattern run on its own for its findings.
ANY_PATTERN = re.compile("|".join(f"(?:{re.sub(r'[(][?]P<[a-z_]+>', '(?:', p.regex.pattern)})" for p in PATTERNS))

# Every pattern needs a letter or a CJK character: an id, a number or a date is checked no further.
_HAS_WORD = re.compile(rf"[a-z{_CJK}]")

# OTP (use case 11): the code's context, and nothing else. Sentences beyond the code's purpose,
# validity and a warning not to share it are flagged for the reviewer.
_OTP_CONTEXT = re.compile(
    r"驗證碼|認證碼|密碼|otp|code|有效|分鐘|minutes?|valid|勿|請勿|不要|do\s+not|don'?t|share|告知|提供|他人|註冊|"
    r"sign[\s-]?up|verif|會員|member|歡迎|welcome|帳號|account|輸入|enter|忽略|ignore|本人|若非|if\s+you\s+did|\{[a-z0-9_]+\}|[\d\s]+$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?\n；;]+")


@dataclass(frozen=True)
class Lists:
    """The editable lists the detector reads: promotional terms and allowed phrases."""

    terms: tuple[tuple[str, str], ...] = ()  # (term, severity)
    allowed: tuple[str, ...] = ()

    @functools.cached_property
    def any_term(self) -> re.Pattern[str] | None:
        """One pattern matching any term: Latin-script ones as words, the others as substrings."""
        if not self.terms:
            return None
        return re.compile("|".join(_term_regex(term) for term, _severity in self.terms))

    @classmethod
    def of(cls, terms: Iterable[str | tuple[str, str]] = (), allowed: Iterable[str] = ()) -> Lists:
        pairs = tuple((t, BLOCK) if isinstance(t, str) else (t[0], t[1]) for t in terms)
        return cls(
            tuple((normalise(term).text, severity) for term, severity in pairs if term.strip()),
            tuple(normalise(phrase).text for phrase in allowed if phrase.strip()),
        )


def _allowed_spans(text: str, allowed: Sequence[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in allowed:
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + 1)
    return spans


def _inside(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _term_regex(term: str) -> str:
    # Letters bound a Latin-script word, digits do not: "coupon50" is caught, "wholesale" is not.
    return rf"(?<![a-z]){re.escape(term)}(?![a-z])" if term.isascii() else re.escape(term)


def _term_spans(text: str, term: str) -> Iterable[tuple[int, int]]:
    if term.isascii():
        for match in _compiled_term(term).finditer(text):
            yield match.span()
    else:
        start = text.find(term)
        while start != -1:
            yield start, start + len(term)
            start = text.find(term, start + 1)


@functools.lru_cache(maxsize=1024)
def _compiled_term(term: str) -> re.Pattern[str]:
    return re.compile(_term_regex(term))


def detect(text: str, *, use_case: str | None = None, lists: Lists | None = None, model: bool = True) -> AdVerdict:
    """Return the advertising verdict on ``text`` and the findings behind it.

    Copy no rule explains is scored by the model (``compliance.advertising_model``) unless
    ``model`` is false: above its threshold it adds one review-level ``ad.likely`` finding.
    """
    lists = lists or Lists()
    source = text if isinstance(text, str) else str(text)
    norm = normalise(source)
    body = norm.text
    allowed = _allowed_spans(body, lists.allowed)
    # Words a pattern saw in a legitimate context (its use case, what follows): no term finds them either.
    neutral: list[tuple[int, int]] = []
    found: list[_Match] = []
    for pattern in PATTERNS if _HAS_WORD.search(body) and ANY_PATTERN.search(body) else ():
        for match in pattern.regex.finditer(body):
            start, end = match.span()
            if start == end or _inside(start, end, allowed):
                continue
            if (
                use_case in pattern.not_in
                or (pattern.not_before is not None and pattern.not_before.match(body, end))
                or (pattern.not_after is not None and pattern.not_after.search(body, max(0, start - 8), start))
                or (
                    pattern.factual is not None
                    and _factual(body, start, end, pattern.factual, reply=use_case == UseCase.ENQUIRY)
                )
            ):
                neutral.append((start, end))
                continue
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            found.append((start, end, pattern, pattern.severity, params))
    # A weaker match inside words seen in a legitimate context says nothing more.
    found = [m for m in found if not (m[3] == REVIEW and _inside(m[0], m[1], neutral))]
    any_term = lists.any_term
    for term, severity in lists.terms if any_term is not None and any_term.search(body) else ():
        for start, end in _term_spans(body, term):
            # A pattern that explains the same words at the same or a higher severity says more.
            explained = [(s, e) for s, e, _p, sev, _x in found if _RANK[sev] >= _RANK[severity]]
            if _inside(start, end, allowed) or _overlaps(start, end, neutral) or _overlaps(start, end, explained):
                continue
            found.append((start, end, None, severity, {"term": term}))
    findings = _findings(norm, source, found, use_case)
    if use_case == UseCase.SIGNUP_OTP:
        findings += _otp_extras(norm, source, findings)
    if model and not findings:
        findings += _likely(norm, source, [*allowed, *neutral])
    findings.sort(key=lambda f: (f.evidence.start, f.evidence.end, f.code))
    verdict = max((f.severity for f in findings), key=_RANK.__getitem__, default=PASS)
    return AdVerdict(verdict, tuple(findings))


def _merged(found: list[_Match]) -> list[_Match]:
    """Merge overlapping or touching matches of one category into one, at the higher severity."""
    blocks = [(s, e) for s, e, _p, severity, _x in found if severity == BLOCK]
    merged: list[_Match] = []
    for item in sorted(found, key=lambda m: (m[2].code if m[2] else "ad.term", m[0], -m[1])):
        start, end, pattern, severity, params = item
        # A review-level match inside a block-level one adds nothing.
        if severity == REVIEW and _inside(start, end, blocks):
            continue
        code = pattern.code if pattern else "ad.term"
        if merged:
            last = merged[-1]
            if (last[2].code if last[2] else "ad.term") == code and start <= last[1]:
                keep = last if _RANK[last[3]] >= _RANK[severity] else item
                merged[-1] = (last[0], max(last[1], end), keep[2], keep[3], {**params, **last[4]})
                continue
        merged.append(item)
    return merged


def _findings(norm: Normalised, source: str, found: list[_Match], use_case: str | None) -> list[AdFinding]:
    findings: list[AdFinding] = []
    for start, end, pattern, severity, params in _merged(found):
        code = pattern.code if pattern else "ad.term"
        clause = pattern.clause if pattern else "pnp.no_advertising"
        if use_case == UseCase.SIGNUP_OTP:
            severity, clause = BLOCK, "pnp.use_case_11"
        elif code == "ad.cross_sell" and use_case in (UseCase.BILL, UseCase.PAYMENT_DUE):
            severity, clause = BLOCK, "pnp.use_case_scope"
        original_start, original_end = norm.span(start, end)
        evidence = Evidence(source[original_start:original_end], original_start, original_end)
        findings.append(AdFinding(code, severity, clause, evidence, {"text": evidence.text, **params}))
    return findings


def _likely(norm: Normalised, source: str, legitimate: Sequence[tuple[int, int]]) -> list[AdFinding]:
    """The model's review-level finding on copy no rule explains, or none.

    Words a rule recognised as legitimate here (an allowed phrase, a deadline in a reminder, a
    fact about the member's own order) are blanked before scoring: the model does not overrule them.
    """
    text = norm.text
    if legitimate:
        chars = list(text)
        for start, end in legitimate:
            chars[start:end] = " " * (end - start)
        text = "".join(chars)
    scored = advertising_model.score(text)
    if scored is None or not scored.above(advertising_model.model().threshold):
        return []
    start, end = norm.span(scored.start, scored.end)
    evidence = Evidence(source[start:end], start, end)
    params = {"text": evidence.text, "percent": round(scored.probability * 100), "words": " / ".join(scored.words)}
    return [AdFinding("ad.likely", REVIEW, "pnp.no_advertising", evidence, params)]


def _otp_extras(norm: Normalised, source: str, findings: list[AdFinding]) -> list[AdFinding]:
    """Sentences of an OTP message that say nothing about the code, for the reviewer."""
    extras = []
    taken = [(f.evidence.start, f.evidence.end) for f in findings]
    for sentence in _SENTENCE.finditer(norm.text):
        chunk = sentence.group().strip()
        if len(chunk) < 4 or _OTP_CONTEXT.search(chunk) or re.fullmatch(r"[\W\d_]*|【[^】]*】|\[[^\]]*\]", chunk):
            continue
        start, end = norm.span(sentence.start(), sentence.end())
        if _overlaps(start, end, taken):
            continue
        evidence = Evidence(source[start:end], start, end)
        extras.append(AdFinding("ad.otp_extra", REVIEW, "pnp.use_case_11", evidence, {"text": evidence.text}))
    return extras


# --- Highlighting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of the original text, marked when findings cover it."""

    text: str
    severity: str = ""
    messages: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


def highlight(text: str, verdict: AdVerdict) -> list[Segment]:
    """Cut ``text`` into runs, each either unmarked or covered by the same findings."""
    cuts = {0, len(text)}
    for finding in verdict.findings:
        cuts.update((finding.evidence.start, finding.evidence.end))
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    segments = []
    for start, end in itertools.pairwise(points):
        covering = [f for f in verdict.findings if f.evidence.start <= start and end <= f.evidence.end]
        if not covering:
            segments.append(Segment(text[start:end]))
            continue
        severity = max((f.severity for f in covering), key=_RANK.__getitem__)
        segments.append(
            Segment(
                text[start:end],
                severity,
                tuple(dict.fromkeys(f.message for f in covering)),
                tuple(dict.fromkeys(f.code for f in covering)),
            )
        )
    return segments

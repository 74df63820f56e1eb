"""Named choices for message templates: use cases, urgency, states, channels, variable types."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UseCaseCategory(models.TextChoices):
    SHOPPING = "shopping", _("Shopping")
    ORDER = "order", _("Order")
    RESERVATION = "reservation", _("Reservation")
    REGISTRATION = "registration", _("Registration")
    POINTS = "points", _("Points")
    PAYMENT = "payment", _("Payment")
    OTP = "otp", _("One-time password")
    BILL = "bill", _("Bill")
    RENTAL = "rental", _("Rental")
    REMINDER = "reminder", _("Reminder")
    REPAIR = "repair", _("Repair")
    OUTAGE = "outage", _("Outage")
    ENQUIRY = "enquiry", _("Enquiry")
    NEW = "new", _("New use case")


class UseCase(models.TextChoices):
    """The 18 use cases of LINE Taiwan's sales kit, plus a brand's approved new use case."""

    DELIVERY_NOTICE = "delivery_notice", _("1 配送通知 Delivery notice")
    PURCHASE_COMPLETED = "purchase_completed", _("2 購買完成 Purchase completed")
    MADE_TO_ORDER_READY = "made_to_order_ready", _("3 訂製商品完成 Made-to-order product ready")
    RESERVATION_CHANGED = "reservation_changed", _("4 預約完成或取消 Reservation made or cancelled")
    RESERVATION_REMINDER = "reservation_reminder", _("5 預約提醒 Reservation reminder")
    REGISTRATION_COMPLETED = "registration_completed", _("6 註冊完成 Registration completed")
    BANK_CARD_ISSUED = "bank_card_issued", _("7 卡片核發 Bank card issued")
    BANK_ACCOUNT_OPENED = "bank_account_opened", _("8 開戶完成 Bank account opened")
    POINTS_EARNED = "points_earned", _("9 點數累積 Points earned")
    PAYMENT_COMPLETED = "payment_completed", _("10 付款完成 Payment completed")
    SIGNUP_OTP = "signup_otp", _("11 會員註冊驗證碼 One-time password for sign-up")
    BILL = "bill", _("12 帳單通知 Fee confirmation (bill)")
    RENTAL_DUE = "rental_due", _("13 租借到期 Rental due")
    DEADLINE_REMINDER = "deadline_reminder", _("14 期限提醒 Contract, application or validity deadline")
    PAYMENT_DUE = "payment_due", _("15 繳費提醒 Payment due")
    REPAIR_COMPLETED = "repair_completed", _("16 維修完成 Repair completed")
    OUTAGE = "outage", _("17 停電停氣或維護 Infrastructure fault or maintenance")
    ENQUIRY = "enquiry", _("18 引導至官方帳號聊天 Guide to the OA chat for enquiries")
    NEW_USE_CASE = "new_use_case", _("新使用情境 New use case (approved in the brand's application)")


_RESERVATION_NOTE = "restaurants, offline services, offline events only"
# use case → (number in DOMAIN.md, category, note for reviewers)
USE_CASE_INFO: dict[str, tuple[int | None, str, str]] = {
    UseCase.DELIVERY_NOTICE: (1, UseCaseCategory.SHOPPING, "shipped, arrived, ready for pickup"),
    UseCase.PURCHASE_COMPLETED: (2, UseCaseCategory.SHOPPING, ""),
    UseCase.MADE_TO_ORDER_READY: (3, UseCaseCategory.ORDER, ""),
    UseCase.RESERVATION_CHANGED: (4, UseCaseCategory.RESERVATION, _RESERVATION_NOTE),
    UseCase.RESERVATION_REMINDER: (5, UseCaseCategory.RESERVATION, _RESERVATION_NOTE),
    UseCase.REGISTRATION_COMPLETED: (6, UseCaseCategory.REGISTRATION, ""),
    UseCase.BANK_CARD_ISSUED: (7, UseCaseCategory.REGISTRATION, "credit, cash, ATM cards"),
    UseCase.BANK_ACCOUNT_OPENED: (8, UseCaseCategory.REGISTRATION, ""),
    UseCase.POINTS_EARNED: (9, UseCaseCategory.POINTS, "not free points given by a promotion"),
    UseCase.PAYMENT_COMPLETED: (10, UseCaseCategory.PAYMENT, ""),
    UseCase.SIGNUP_OTP: (11, UseCaseCategory.OTP, "only when the sign-up flow verifies the phone number"),
    UseCase.BILL: (12, UseCaseCategory.BILL, "periodic bills"),
    UseCase.RENTAL_DUE: (13, UseCaseCategory.RENTAL, "return the rented goods or device"),
    UseCase.DEADLINE_REMINDER: (14, UseCaseCategory.REMINDER, ""),
    UseCase.PAYMENT_DUE: (15, UseCaseCategory.REMINDER, ""),
    UseCase.REPAIR_COMPLETED: (16, UseCaseCategory.REPAIR, ""),
    UseCase.OUTAGE: (17, UseCaseCategory.OUTAGE, "power, gas, telecom"),
    UseCase.ENQUIRY: (18, UseCaseCategory.ENQUIRY, "replaces the old Call-to-LINE"),
    UseCase.NEW_USE_CASE: (None, UseCaseCategory.NEW, "reviewed by LINE HQ case by case; describe it"),
}

RESERVATION_USE_CASES = frozenset({UseCase.RESERVATION_CHANGED, UseCase.RESERVATION_REMINDER})


class TemplateKind(models.TextChoices):
    """LINE's two kinds of PNP: the portal's own message design, or one of LINE's predefined templates."""

    # ``POST /bot/pnp/push`` with message objects: LINE reviews every design (UX review).
    FLEXIBLE = "flexible", _("Flexible (own design, LINE UX review)")
    # ``POST /v2/bot/message/pnp/templated/push``: LINE's own template filled in; LINE does not review it.
    LINE_TEMPLATE = "line_template", _("LINE template (no UX review)")


class Urgency(models.TextChoices):
    """How soon the message must arrive (the sales kit's urgency table)."""

    MORE_THAN_A_DAY = "more_than_a_day", _("More than a day (PNP)")
    A_DAY = "a_day", _("Within a day (PNP)")
    AN_HOUR = "an_hour", _("Within an hour (SMS / e-mail / app push)")
    FIVE_MINUTES = "five_minutes", _("Within five minutes (SMS / e-mail / app push)")


PNP_SUITED_URGENCIES = frozenset({Urgency.MORE_THAN_A_DAY, Urgency.A_DAY})


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    RETIRED = "retired", _("Retired")


# Content may change only in these states; everything else is evidence of what was reviewed.
EDITABLE_STATUSES = frozenset({TemplateStatus.DRAFT, TemplateStatus.CHANGES_REQUESTED})
# A template has at most one version in one of these states at a time.
OPEN_STATUSES = frozenset(
    {TemplateStatus.DRAFT, TemplateStatus.CHANGES_REQUESTED, TemplateStatus.SUBMITTED, TemplateStatus.IN_REVIEW}
)
# What the review queue shows.
QUEUE_STATUSES = frozenset({TemplateStatus.SUBMITTED, TemplateStatus.IN_REVIEW, TemplateStatus.SUSPENDED})


class Channel(models.TextChoices):
    PNP = "pnp", _("LINE notification message (PNP)")
    LINE_PUSH = "line_push", _("LINE push (friends only)")
    SMS = "sms", _("SMS")


class VariableType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    URL = "url", _("URL")
    CODE = "code", _("Code (letters and digits)")
    AMOUNT = "amount", _("Amount")


# Types whose values are free enough to smuggle copy: they must declare a max length.
FREE_TEXT_VARIABLE_TYPES = frozenset({VariableType.TEXT, VariableType.URL, VariableType.CODE})


class Language(models.TextChoices):
    ZH_HANT = "zh-hant", _("Traditional Chinese")
    EN = "en", _("English")
    ZH_HANT_EN = "zh-hant+en", _("Traditional Chinese and English")


class Severity(models.TextChoices):
    BLOCKING = "blocking", _("Blocking")
    WARNING = "warning", _("Warning")


class FindingSeverity(models.TextChoices):
    """How sure the advertising detector is: ``block`` is clear advertising, ``review`` needs a reviewer."""

    BLOCK = "block", _("Block: clear advertising")
    REVIEW = "review", _("Review: likely advertising, a reviewer confirms")


class ChangeReason(models.TextChoices):
    """Coded reasons a reviewer gives when asking for changes or rejecting."""

    PROMOTIONAL = "promotional", _("Promotional or advertising wording")
    USE_CASE = "use_case", _("Content does not fit the use case")
    LINK = "link", _("Link or button not allowed or not related")
    VARIABLES = "variables", _("Variables undeclared, unbounded or misplaced")
    LENGTH = "length", _("Too long or badly structured for LINE / SMS")
    SMS_FALLBACK = "sms_fallback", _("SMS fallback lacks event time or ignore line")
    WORDING = "wording", _("Unclear or misleading wording")
    OTHER = "other", _("Other (see comment)")


class OverruleReason(models.TextChoices):
    """Coded reasons a reviewer gives for overruling what a guideline check found."""

    SERVICE_NAME = "service_name", _("A service or product name, not an offer (e.g. 限時掛號)")
    MEMBER_OWN_TRANSACTION = "own_transaction", _("States a fact of the member's own transaction")
    LEGAL_NOTICE = "legal_notice", _("Wording required by law or by a regulator")
    CHECK_MISREAD = "check_misread", _("The check misread the text (wrong match)")
    LINE_APPROVED = "line_approved", _("LINE approved this wording in the brand's application")
    OTHER = "other", _("Other (see note)")

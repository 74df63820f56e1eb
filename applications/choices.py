"""Named choices of the application tracker."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UseCase(models.TextChoices):
    """LINE's 18 approved PNP use cases (DOMAIN.md); same codes as ``compliance.choices.UseCase``."""

    DELIVERY_NOTICE = "delivery_notice", _("Delivery notice")
    PURCHASE_COMPLETED = "purchase_completed", _("Purchase completed")
    MADE_TO_ORDER_READY = "made_to_order_ready", _("Made-to-order product ready")
    RESERVATION_MADE_OR_CANCELLED = "reservation_made_or_cancelled", _("Reservation made or cancelled")
    RESERVATION_REMINDER = "reservation_reminder", _("Reservation reminder")
    REGISTRATION_COMPLETED = "registration_completed", _("Registration completed")
    BANK_CARD_ISSUED = "bank_card_issued", _("Bank card issued")
    BANK_ACCOUNT_OPENED = "bank_account_opened", _("Bank account opened")
    POINTS_EARNED = "points_earned", _("Points earned")
    PAYMENT_COMPLETED = "payment_completed", _("Payment completed")
    SIGNUP_OTP = "signup_otp", _("One-time password for member sign-up")
    BILL_FEE_CONFIRMATION = "bill_fee_confirmation", _("Fee confirmation (bill)")
    RENTAL_DUE = "rental_due", _("Rental due")
    DEADLINE_REMINDER = "deadline_reminder", _("Contract, application or validity deadline")
    PAYMENT_DUE = "payment_due", _("Payment due")
    REPAIR_COMPLETED = "repair_completed", _("Repair completed")
    INFRASTRUCTURE_OUTAGE = "infrastructure_outage", _("Infrastructure fault or maintenance")
    ENQUIRY_GUIDE = "enquiry_guide", _("Guide to the OA chat for enquiries")


class Stage(models.TextChoices):
    """Where an application stands; the allowed moves between them are in ``workflow.py``."""

    # Direct path
    PREPARING_DOCUMENTS = "preparing_documents", _("Preparing documents")
    SERVICE_PLAN_REVIEW = "service_plan_review", _("Service Plan under LINE review")
    TEST_PERMISSION_REQUESTED = "test_permission_requested", _("Test permission requested")
    BRAND_TESTING = "brand_testing", _("Brand testing")
    TEST_RESULTS_REVIEW = "test_results_review", _("Test results under LINE review")
    PRODUCTION_PERMISSION_REQUESTED = "production_permission_requested", _("Production permission requested")
    # Partner path
    PREPARING = "preparing", _("Preparing (partner)")
    CERTIFIED_PROVIDER_AND_TEST_PERMISSION = (
        "certified_provider_and_test_permission",
        _("Certified Provider and test permission"),
    )
    PARTNER_TESTING = "partner_testing", _("Partner testing")
    PRODUCTION_PERMISSION = "production_permission", _("Production permission")
    # Both paths
    LIVE = "live", _("Live")
    CHANGES_REQUESTED_BY_LINE = "changes_requested_by_line", _("Changes requested by LINE")
    ON_HOLD = "on_hold", _("On hold")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Holder(models.TextChoices):
    """Which side must act next for the application to move on."""

    BRAND = "brand", _("Brand")
    LINE = "line", _("LINE")
    US = "us", _("Us")
    NOBODY = "nobody", _("Nobody")


class DocumentKind(models.TextChoices):
    NDA = "nda", _("Signed NDA")
    SERVICE_PLAN = "service_plan", _("Service Plan")
    PERMISSION_FORM = "permission_form", _("Permission application form")
    IO_CONTRACT = "io_contract", _("IO contract")
    TEST_SCREENSHOT = "test_screenshot", _("Test screenshot")
    LINE_QUESTION = "line_question", _("Question from LINE")
    BRAND_ANSWER = "brand_answer", _("Brand's answer")
    LINE_EMAIL = "line_email", _("E-mail from LINE")


class CalendarOverrideKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off (e.g. typhoon day)")
    WORKING_DAY = "working_day", _("Working day (e.g. make-up Saturday)")

"""Named choices for members, consent, LINE links and imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhoneType(models.TextChoices):
    """The number types ``phonenumbers`` tells apart; only mobile numbers can match a LINE account."""

    MOBILE = "mobile", _("Mobile")
    FIXED_LINE = "fixed_line", _("Fixed line")
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile", _("Fixed line or mobile")
    TOLL_FREE = "toll_free", _("Toll free")
    PREMIUM_RATE = "premium_rate", _("Premium rate")
    SHARED_COST = "shared_cost", _("Shared cost")
    VOIP = "voip", _("VoIP")
    PERSONAL_NUMBER = "personal_number", _("Personal number")
    PAGER = "pager", _("Pager")
    UAN = "uan", _("Universal access number")
    VOICEMAIL = "voicemail", _("Voicemail")
    UNKNOWN = "unknown", _("Unknown")


# Types whose numbers can be registered on a LINE account (and so receive a PNP).
MOBILE_TYPES = frozenset({PhoneType.MOBILE, PhoneType.FIXED_LINE_OR_MOBILE})


class ConsentPurpose(models.TextChoices):
    """What a member agreed to; add a purpose here when a new use of the number appears."""

    PNP_NOTIFICATION = "pnp_notification", _("LINE notification messages (PNP)")
    SMS_NOTIFICATION = "sms_notification", _("SMS notifications")
    LINE_BINDING = "line_binding", _("Binding the phone number to a LINE account")


class ConsentSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    STORE_COUNTER = "store_counter", _("Store counter")
    APP = "app", _("App")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    """The ways a notification can reach a member."""

    LINE_PUSH = "line_push", _("LINE push (friends)")
    PNP = "pnp", _("LINE notification message (PNP)")
    SMS = "sms", _("SMS")

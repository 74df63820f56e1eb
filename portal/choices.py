"""Named choices for the records every app leans on."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    ENTERPRISE_GREEN = "enterprise_green", _("Enterprise account (green shield)")
    VERIFIED_BLUE = "verified_blue", _("Verified account (blue shield)")
    OTHER = "other", _("Other (grey / unverified)")


class LegalEntityType(models.TextChoices):
    MOEA_COMPANY = "moea_company", _("Company registered with the MOEA")
    MEDICAL_INSTITUTION = "medical_institution", _("Medical institution")
    GOVERNMENT = "government", _("Government agency or administrative legal person")
    OTHER = "other", _("Other")


class ApplicationPath(models.TextChoices):
    DIRECT = "direct", _("Direct application to LINE")
    PARTNER = "partner", _("Through a technology partner")


class Role(models.TextChoices):
    """The portal's staff roles; each is a Django group created by a data migration."""

    COMPLIANCE_REVIEWER = "Compliance reviewer", _("Compliance reviewer")
    ACCOUNT_MANAGER = "Account manager", _("Account manager")
    FINANCE = "Finance", _("Finance")

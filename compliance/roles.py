"""What each role may do with templates (row-level brand scoping is in the admin)."""

from portal.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = {
    # Reviewers read everything and decide; they never edit a template's content.
    Role.COMPLIANCE_REVIEWER: {
        "compliance.view_messagetemplate",
        "compliance.view_templateversion",
        "compliance.review_templateversion",
        "compliance.view_reviewqueueitem",
        "compliance.view_ruleresult",
        "compliance.view_promotionalterm",
        "compliance.add_promotionalterm",
        "compliance.change_promotionalterm",
        "compliance.view_allowedphrase",
        "compliance.add_allowedphrase",
        "compliance.change_allowedphrase",
        "compliance.view_copycheck",
        "compliance.view_brandlinkdomain",
        "compliance.add_brandlinkdomain",
        "compliance.delete_brandlinkdomain",
        "compliance.view_sendviolation",
    },
    # Account managers write and submit their brands' templates.
    Role.ACCOUNT_MANAGER: {
        "compliance.view_messagetemplate",
        "compliance.add_messagetemplate",
        "compliance.change_messagetemplate",
        "compliance.view_templateversion",
        "compliance.add_templateversion",
        "compliance.change_templateversion",
        "compliance.view_ruleresult",
        "compliance.view_brandlinkdomain",
        "compliance.view_sendviolation",
        "compliance.view_copycheck",
    },
    Role.FINANCE: set(),
}

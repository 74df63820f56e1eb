"""What each staff role may do with PNP applications.

Account managers run their brands' applications (row scoping in the admin and selectors)
and record typhoon days and make-up working days; compliance reviewers read everything;
finance has no business here and sees none of it.
"""

from portal.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMPLIANCE_REVIEWER: {
        "applications.view_application",
        "applications.view_applicationdocument",
        "applications.view_stagetransition",
        "applications.view_calendaroverride",
    },
    Role.ACCOUNT_MANAGER: {
        "applications.view_application",
        "applications.add_application",
        "applications.change_application",
        "applications.view_applicationdocument",
        "applications.add_applicationdocument",
        "applications.view_stagetransition",
        "applications.view_calendaroverride",
        "applications.add_calendaroverride",
        "applications.change_calendaroverride",
        "applications.delete_calendaroverride",
    },
    Role.FINANCE: set(),
}

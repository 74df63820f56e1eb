"""What each staff role may do with PNP applications.

Account managers run their brands' applications (row scoping in the admin and selectors)
, record typhoon days and make-up working days and keep the technology partners' catalogue
of use cases LINE approved (added, never edited: evidence); compliance reviewers read everything;
finance has no business here and sees none of it.
"""

from portal.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMPLIANCE_REVIEWER: {
        "applications.view_application",
        "applications.view_applicationdocument",
        "applications.view_stagetransition",
        "applications.view_calendaroverride",
        "applications.view_technologypartner",
        "applications.view_partnerusecase",
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
        "applications.view_technologypartner",
        "applications.add_technologypartner",
        "applications.change_technologypartner",
        "applications.view_partnerusecase",
        "applications.add_partnerusecase",
    },
    Role.FINANCE: set(),
}

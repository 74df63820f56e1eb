"""What each staff role may do with members (row-level brand rules are in the admin and API).

Finance gets nothing here: billing reads delivery records, never the member list.
"""

from portal.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMPLIANCE_REVIEWER: {
        "members.view_member",
        "members.view_consent",
        "members.view_linelink",
        "members.view_importjob",
    },
    Role.ACCOUNT_MANAGER: {
        "members.view_member",
        "members.add_member",
        "members.change_member",
        "members.view_consent",
        "members.add_consent",
        "members.view_linelink",
        "members.view_importjob",
        "members.add_importjob",
    },
    Role.FINANCE: set(),
}

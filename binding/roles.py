"""What each staff role may do with LINE binding (row-level brand rules are in the admin).

Account managers configure their brands' binding page and templates; reviewers read them,
with the welcomes sent, to check what members are shown. Finance reads the funnel's money
figures on the billing dashboard, which needs no permission here.
"""

from portal.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMPLIANCE_REVIEWER: {
        "binding.view_bindingsettings",
        "binding.view_welcomemessage",
    },
    Role.ACCOUNT_MANAGER: {
        "binding.view_bindingsettings",
        "binding.add_bindingsettings",
        "binding.change_bindingsettings",
        "binding.view_welcomemessage",
    },
    Role.FINANCE: set(),
}

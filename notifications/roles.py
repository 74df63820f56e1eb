"""What each role may do with sends, SMS accounts and webhook events."""

from portal.choices import Role

ROLE_PERMISSIONS = {
    # Reviewers judge templates by how their sends fare.
    Role.COMPLIANCE_REVIEWER: {"notifications.view_notification"},
    Role.ACCOUNT_MANAGER: {
        "notifications.view_notification",
        "notifications.view_webhookevent",
        "notifications.view_smsaccount",
        "notifications.add_smsaccount",
        "notifications.change_smsaccount",
        # Delivery alerts of their brands, and the thresholds that raise them.
        "notifications.view_alertcrossing",
        "notifications.view_brandalertthresholds",
        "notifications.add_brandalertthresholds",
        "notifications.change_brandalertthresholds",
    },
    # Finance reads what it bills: deliveries and SMS prices.
    Role.FINANCE: {
        "notifications.view_notification",
        "notifications.view_smsaccount",
        "notifications.view_deliverystat",
    },
}

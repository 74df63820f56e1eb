"""What each role may do in billing.

Finance owns the bill: prices, statements, LINE's counts and invoices, explanations, closing and
exports. Account managers read their own brands' dashboard and statements (they answer the brand's
questions about a bill) and keep their brands' billing profiles (the buyer on the bill), but
neither export nor close. Compliance reviewers watch delivery
quality on the dashboard and see no bills.
"""

from portal.choices import Role

ROLE_PERMISSIONS = {
    Role.COMPLIANCE_REVIEWER: {
        "billing.view_dashboard",
    },
    Role.ACCOUNT_MANAGER: {
        "billing.view_dashboard",
        "billing.view_statement",
        "billing.view_statementline",
        "billing.view_reconciliationday",
        "billing.view_billingprofile",
        "billing.add_billingprofile",
        "billing.change_billingprofile",
    },
    Role.FINANCE: {
        "billing.view_billingprofile",
        "billing.view_lineinvoice",
        "billing.add_lineinvoice",
        "billing.change_lineinvoice",
        "billing.view_dashboard",
        "billing.view_unitprice",
        "billing.add_unitprice",
        "billing.change_unitprice",
        "billing.view_linedailycount",
        "billing.view_statement",
        "billing.change_statement",
        "billing.close_statement",
        "billing.export_statement",
        "billing.view_statementline",
        "billing.view_reconciliationday",
        "billing.change_reconciliationday",
    },
}

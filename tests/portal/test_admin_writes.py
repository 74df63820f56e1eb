"""No admin writes a model or an audit row itself: every write goes through a service.

A service writes the change and its audit row in one transaction (docs: CONVENTIONS, "Admin
classes declare; actions delegate"). This reads every app's ``admin.py`` and fails on a
method that saves, deletes, creates or updates rows, calls the stock ``ModelAdmin`` write
hooks through ``super()``, or touches the audit trail directly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Apps whose admin is not checked, each with the reason.
NOT_CHECKED = {
    # The LINE sandbox is a separate simulator of LINE's and the SMS vendors' side: it imports
    # nothing of the portal, has no audit trail and its admin edits simulator state only.
    "line_sandbox": "separate simulator, no audit trail",
}

# Writes that must stay in an admin method, as "app/admin.py:Class.method" -> why. None today:
# a write that has to stay is named here with its reason, never skipped by a pattern.
ALLOWED: dict[str, str] = {}

# ModelAdmin's own write hooks: calling them through super() saves or deletes with no audit row.
WRITE_HOOKS = frozenset({"save_model", "delete_model", "save_formset", "save_related", "delete_queryset"})
# Methods that write whatever they are called on (a model, a form, a formset, a queryset).
ALWAYS_WRITES = frozenset(
    {"save", "delete", "save_m2m", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
)
# Methods that write when called on a manager or a queryset (dict.update is fine).
QUERYSET_WRITES = frozenset({"create", "update"})
QUERYSET_STEPS = frozenset({"objects", "filter", "exclude", "all", "select_related", "select_for_update", "order_by"})
AUDIT_NAMES = frozenset({"audit_record"})  # AuditEvent.objects.create is a queryset write


@dataclass(frozen=True)
class Write:
    where: str  # app/admin.py:Class.method
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where} (line {self.line}): {self.what}"


def _is_queryset(node: ast.expr) -> bool:
    """Whether an expression reads as a manager or queryset: X.objects..., queryset, ....filter(...)."""
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in QUERYSET_STEPS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id == "queryset" or node.id.endswith(("_queryset", "_set"))
        else:
            return False


def _is_super_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def writes_in(source: str, module: str) -> list[Write]:
    """Return each direct write in the functions and methods of one admin module."""
    found: list[Write] = []

    def visit_function(function: ast.FunctionDef | ast.AsyncFunctionDef, owner: str) -> None:
        where = f"{module}:{owner}{function.name}"
        for node in ast.walk(function):
            what = ""
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name, receiver = node.func.attr, node.func.value
                if _is_super_call(receiver) and name in WRITE_HOOKS:
                    what = f"super().{name}() writes with no audit row"
                elif name in ALWAYS_WRITES:
                    what = f".{name}() writes directly"
                elif name in QUERYSET_WRITES and _is_queryset(receiver):
                    what = f"queryset .{name}() writes directly"
            if isinstance(node, ast.Name) and node.id in AUDIT_NAMES:
                what = f"{node.id} used directly: the service writes the audit row"
            if what:
                found.append(Write(where=where, line=node.lineno, what=what))

    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and AUDIT_NAMES & {alias.name for alias in node.names}:
            found.append(Write(where=f"{module}:import", line=node.lineno, what="imports the audit helper"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            visit_function(node, "")
        elif isinstance(node, ast.ClassDef):
            for item in ast.walk(node):
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit_function(item, f"{node.name}.")
    return found


def admin_modules() -> list[Path]:
    return sorted(path for path in ROOT.glob("*/admin.py") if path.parent.name not in NOT_CHECKED)


def test_every_app_admin_is_found() -> None:
    apps = {path.parent.name for path in admin_modules()}
    assert {"portal", "members", "compliance", "notifications", "billing", "applications", "binding"} <= apps


@pytest.mark.parametrize("path", admin_modules(), ids=lambda path: path.parent.name)
def test_no_admin_writes_a_model_or_an_audit_row_itself(path: Path) -> None:
    module = f"{path.parent.name}/admin.py"
    writes = [w for w in writes_in(path.read_text(encoding="utf-8"), module) if w.where not in ALLOWED]
    assert not writes, "call a service instead:\n" + "\n".join(str(w) for w in writes)


def test_every_allowed_write_is_still_there_and_says_why() -> None:
    found = {w.where for path in admin_modules() for w in writes_in(path.read_text(), f"{path.parent.name}/admin.py")}
    for where, reason in ALLOWED.items():
        assert reason.strip(), f"{where}: say why this write stays in the admin"
        assert where in found, f"{where} no longer writes: remove it from ALLOWED"


BAD_ADMIN = """
from django.contrib import admin
from portal.services import audit_record


class ThingAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(action="thing.saved", actor=request.user, obj=obj)

    def delete_model(self, request, obj):
        obj.delete()

    def save_formset(self, request, form, formset, change):
        formset.save()

    def delete_queryset(self, request, queryset):
        queryset.update(active=False)

    @admin.action(description="Close")
    def close(self, request, queryset):
        Thing.objects.create(name="x")
        Thing.objects.filter(pk=1).update(closed=True)
        context = {}
        context.update(title="fine")


def archive(modeladmin, request, queryset):
    for thing in queryset:
        thing.save(update_fields=["archived"])
"""


def test_the_check_finds_each_kind_of_direct_write() -> None:
    found = [(w.where.split(":")[1], w.what) for w in writes_in(BAD_ADMIN, "things/admin.py")]
    assert found == [
        ("import", "imports the audit helper"),
        ("ThingAdmin.save_model", "super().save_model() writes with no audit row"),
        ("ThingAdmin.save_model", "audit_record used directly: the service writes the audit row"),
        ("ThingAdmin.delete_model", ".delete() writes directly"),
        ("ThingAdmin.save_formset", ".save() writes directly"),
        ("ThingAdmin.delete_queryset", "queryset .update() writes directly"),
        ("ThingAdmin.close", "queryset .create() writes directly"),
        ("ThingAdmin.close", "queryset .update() writes directly"),
        ("archive", ".save() writes directly"),
    ]

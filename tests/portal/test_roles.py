from django.contrib.auth.models import Group

from portal.choices import Role
from portal.roles import role_permissions


def test_each_role_group_holds_exactly_its_listed_permissions(db: None) -> None:
    for role, codes in role_permissions().items():
        group = Group.objects.get(name=str(role))
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == codes, role


def test_finance_cannot_change_anything_in_the_portal_app(db: None) -> None:
    group = Group.objects.get(name=str(Role.FINANCE))
    assert not group.permissions.exclude(codename__startswith="view_").filter(content_type__app_label="portal")

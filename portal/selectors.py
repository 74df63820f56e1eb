"""Reads scoped to what the asking user may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from portal.choices import Role
from portal.models import Brand

UserLike = User | AnonymousUser


def user_roles(user: UserLike) -> set[str]:
    """Return the names of the portal roles the user holds (cached on the user)."""
    if not user.is_authenticated:
        return set()
    cached: set[str] | None = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._portal_roles = cached  # type: ignore[union-attr,attr-defined]
    return cached


def user_sees_all_brands(user: UserLike) -> bool:
    """Superusers, compliance reviewers and finance read every brand; account managers do not."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = user_roles(user)
    return bool(roles & {Role.COMPLIANCE_REVIEWER, Role.FINANCE})


def brands_visible_to(user: UserLike) -> QuerySet[Brand]:
    """Return the brands this staff user may see: all, or only those assigned to them."""
    if user_sees_all_brands(user):
        return Brand.objects.all()
    if user.is_authenticated and Role.ACCOUNT_MANAGER in user_roles(user):
        return Brand.objects.filter(account_managers=user)  # type: ignore[misc]
    return Brand.objects.none()


def brands_editable_by(user: UserLike) -> QuerySet[Brand]:
    """Return the brands this user may change: superusers all, account managers their own."""
    if not user.is_authenticated or not user.is_active:
        return Brand.objects.none()
    if user.is_superuser:
        return Brand.objects.all()
    if Role.ACCOUNT_MANAGER in user_roles(user):
        return Brand.objects.filter(account_managers=user)  # type: ignore[misc]
    return Brand.objects.none()


def user_language(user: UserLike) -> str | None:
    """The language a staff user chose with the header's switch, or None (the browser's then)."""
    if user.pk is None:
        return None
    cached: str | bool | None = getattr(user, "_portal_language", False)
    if cached is not False:
        return cached if isinstance(cached, str) else None
    from portal.models import UserPreference

    language = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    user._portal_language = language  # type: ignore[union-attr,attr-defined]
    return language

"""Admin building blocks every app uses so each role sees only the brands it may."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from portal.selectors import brands_editable_by, brands_visible_to

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class VisibleBrandListFilter(admin.RelatedFieldListFilter):
    """A brand filter that offers only the brands the user may see.

    Django's own filter lists every brand in the table, so an account manager would read the
    names of brands they do not manage in the sidebar of any list.
    """

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        brands = brands_visible_to(request.user).only("pk", "name").order_by("name")  # type: ignore[arg-type]
        return [(str(brand.pk), str(brand)) for brand in brands]


def _is_brand_path(entry: Any) -> bool:
    return isinstance(entry, str) and (entry == "brand" or entry.endswith("__brand"))


class BrandScopedAdminMixin:
    """Limit an admin to rows of brands the user may see, and edits to brands they manage.

    ``brand_lookup`` is the ORM path from the model to its brand (``"brand"`` by default,
    ``"member__brand"`` for a member's consent...). Another brand's row answers 404,
    because it is not in the queryset at all.
    """

    brand_lookup = "brand"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:  # type: ignore[union-attr]
            return queryset
        return queryset.filter(**{f"{self.brand_lookup}__in": brands_visible_to(request.user)})

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Every brand filter of the list offers only the brands the user may see."""
        filters = super().get_list_filter(request)  # type: ignore[misc]
        return [(entry, VisibleBrandListFilter) if _is_brand_path(entry) else entry for entry in filters]

    def _brand_of(self, obj: Model) -> Any:
        value: Any = obj
        for part in self.brand_lookup.split("__"):
            value = getattr(value, part)
        return value

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        if not allowed or obj is None or request.user.is_superuser:  # type: ignore[union-attr]
            return allowed
        return brands_editable_by(request.user).filter(pk=self._brand_of(obj).pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        if not allowed or obj is None or request.user.is_superuser:  # type: ignore[union-attr]
            return allowed
        return brands_editable_by(request.user).filter(pk=self._brand_of(obj).pk).exists()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "brand" and not request.user.is_superuser:  # type: ignore[union-attr]
            kwargs["queryset"] = brands_editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id box that names the chosen row only when it is one the user may pick.

    Django's widget labels whatever id was posted, from the model's default manager, so a
    refused form would show another brand's member and link to it.
    """

    def __init__(self, *args: Any, queryset: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            allowed = self.queryset.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            return "", ""
        if not allowed:
            return "", ""
        return super().label_and_url_for_value(value)


class ReadOnlyAdminMixin:
    """An admin nobody can add to, change or delete from: records that are evidence."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


__all__ = ["BrandScopedAdminMixin", "ReadOnlyAdminMixin", "ScopedRawIdWidget", "VisibleBrandListFilter", "admin"]

"""django-import-export resources: member and consent-history exports (and a row-by-row import)."""

from __future__ import annotations

from typing import Any

from import_export import fields

from members.models import Consent, Member
from members.phones import mask_e164, normalize_phone
from portal.exports import FormulaSafeResource


class MemberResource(FormulaSafeResource):
    """Members as a spreadsheet: the import columns plus the derived state.

    Phone numbers are exported in full only to those who may see them (``reveal_phone``).
    As an import resource it is django-import-export's plain row-by-row path, kept for
    comparison; the portal imports through :func:`members.services.member_import_file`.
    """

    brand = fields.Field(attribute="brand__slug", column_name="brand", readonly=True)
    phone = fields.Field(column_name="phone")

    class Meta:
        model = Member
        import_id_fields = ("external_id",)
        fields = (
            "brand",
            "external_id",
            "name",
            "phone",
            "phone_type",
            "pnp_consent",
            "sms_consent",
            "needs_phone_confirmation",
            "phone_flag_reason",
            "duplicate_phone",
            "erased_at",
        )
        export_order = fields
        skip_unchanged = True
        report_skipped = False

    def __init__(self, *, reveal_phone: bool = False, brand: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reveal_phone = reveal_phone
        self.brand = brand

    def dehydrate_phone(self, member: Member) -> str:
        return member.phone_e164 if self.reveal_phone else mask_e164(member.phone_e164)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related("brand")
        return queryset.filter(brand=self.brand) if self.brand is not None else queryset

    def import_instance(self, instance: Member, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        phone = normalize_phone(str(row.get("phone") or ""))
        instance.brand = self.brand
        instance.phone_raw = str(row.get("phone") or "").strip()
        instance.phone_e164, instance.phone_type, instance.phone_hash = phone.e164, phone.number_type, phone.hash


class ConsentResource(FormulaSafeResource):
    """The consent history, one row per statement, as evidence for an audit."""

    brand = fields.Field(attribute="member__brand__slug", column_name="brand")
    external_id = fields.Field(attribute="member__external_id", column_name="external_id")

    class Meta:
        model = Consent
        fields = (
            "id",
            "brand",
            "external_id",
            "purpose",
            "granted",
            "source",
            "evidence",
            "notice_version",
            "captured_at",
            "captured_by_label",
            "created_at",
        )
        export_order = fields

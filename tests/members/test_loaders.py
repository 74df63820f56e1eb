"""The set-based PostgreSQL loader and the ORM loader must leave the same records behind."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from members.models import Consent, Member
from members.selectors import consent_state_from_history
from members.services import consent_record, member_erase, member_flag_phone_unreachable, member_import_file
from portal.models import Brand

FIRST = (
    "external_id,name,phone,pnp_consent,sms_consent,consent_source,consent_captured_at\n"
    "P1,王小明,0912-345-678,1,,web_form,2025-01-02 10:00\n"
    "P2,陳美麗,0912345678,1,1,,\n"
    "P3,Lin,(02) 2345-6789,0,1,store_counter,\n"
    "P4,Bad,0912-34-567,1,,,\n"
    "P5,Wu,+886 933 111 222,,,,\n"
    "P2,Again,0933111223,,,,\n"
    "P6,Erased,0933111224,1,1,,\n"
)
SECOND = (
    "external_id,name,phone,pnp_consent,sms_consent,consent_source,consent_captured_at\n"
    "P1,王小明,0912-345-678,1,,web_form,2025-01-02 10:00\n"  # same statement again: nothing
    "P2,陳美麗,0933-000-111,0,1,,\n"  # new number (clears the flag), PNP withdrawn
    "P3,Lin,(02) 2345-6789,1,1,store_counter,2020-01-01\n"  # stale grant: recorded, state stays
    "P5,Wu,+886 933 111 222,,,,\n"
    "P6,Erased,0933111224,1,1,,\n"
    "P7,New,0912345678,,1,app,\n"
)


def snapshot(brand: Brand) -> list[tuple[object, ...]]:
    members = [
        (
            m.external_id,
            m.name,
            m.phone_e164,
            m.phone_type,
            m.phone_hash,
            m.pnp_consent,
            m.sms_consent,
            m.duplicate_phone,
            m.needs_phone_confirmation,
            m.erased_at is not None,
            tuple(
                (
                    c.purpose,
                    c.granted,
                    c.source,
                    c.evidence,
                    c.captured_at.date() if c.captured_at.year < 2026 else None,
                )
                for c in m.consents.order_by("purpose", "captured_at", "id")
            ),
        )
        for m in Member.objects.filter(brand=brand).order_by("external_id")
    ]
    for member in Member.objects.filter(brand=brand):
        history = consent_state_from_history(member=member)
        assert (member.pnp_consent, member.sms_consent) == (history["pnp_notification"], history["sms_notification"])
    return members


@pytest.mark.postgres
def test_the_fast_postgres_path_gives_the_same_result_as_the_simple_path(
    make_brand: Callable[..., Brand], write_csv: Callable[..., Path]
) -> None:
    fast_brand, simple_brand = make_brand("fast"), make_brand("simple")
    first, second = write_csv(FIRST, "first.csv"), write_csv(SECOND, "second.csv")
    results = {}
    for brand, fast in ((fast_brand, True), (simple_brand, False)):
        one = member_import_file(brand=brand, path=first, actor="test", fast=fast)
        member_erase(member=Member.objects.get(brand=brand, external_id="P6"), actor="test")
        member = Member.objects.get(brand=brand, external_id="P2")
        member_flag_phone_unreachable(member=member, reason="422")
        consent_record(
            member=Member.objects.get(brand=brand, external_id="P3"),
            purpose="pnp_notification",
            granted=False,
            source="app",
            captured_at=timezone.now() - timedelta(days=1),
            actor="test",
        )
        two = member_import_file(brand=brand, path=second, actor="test", fast=fast)
        three = member_import_file(brand=brand, path=second, actor="test", fast=fast)
        results[fast] = [
            (r.created, r.updated, r.unchanged, [(e.line, e.column) for e in r.errors]) for r in (one, two, three)
        ]
    assert results[True] == results[False]
    assert results[True][2][:3] == (0, 0, 5)  # the third run changes nothing
    assert snapshot(fast_brand) == snapshot(simple_brand)
    p3 = Member.objects.get(brand=fast_brand, external_id="P3")
    assert p3.pnp_consent is False  # the stale grant did not override the later withdrawal
    assert not Member.objects.get(brand=fast_brand, external_id="P2").needs_phone_confirmation
    assert (
        Consent.objects.filter(member__brand=fast_brand).count()
        == Consent.objects.filter(member__brand=simple_brand).count()
    )

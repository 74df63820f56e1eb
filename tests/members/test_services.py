from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.choices import ConsentPurpose, ConsentSource, PhoneType
from members.exceptions import BindingConsentError, LineUidTakenError, MemberErasedError
from members.models import Consent, LineLink, Member, UnlinkedLineFollower
from members.selectors import consent_state_from_history
from members.services import (
    consent_record,
    line_link_bind,
    line_link_unbind,
    line_link_update,
    member_erase,
    member_flag_phone_unreachable,
    member_upsert,
)
from portal.models import AuditEvent, Brand

PNP = ConsentPurpose.PNP_NOTIFICATION


def test_upsert_creates_then_updates_a_member_and_audits_both(brand: Brand) -> None:
    member, created = member_upsert(brand=brand, external_id="M1", name="王小明", phone="0912-345-678", actor="test")
    assert created
    assert (member.phone_e164, member.phone_type) == ("+886912345678", PhoneType.MOBILE)
    member, created = member_upsert(brand=brand, external_id="M1", name="王小明", phone="(02) 2345-6789", actor="test")
    assert not created
    assert member.phone_type == PhoneType.FIXED_LINE
    assert list(
        AuditEvent.objects.filter(action__startswith="member.").values_list("action", flat=True).order_by("id")
    ) == [
        "member.created",
        "member.updated",
    ]
    assert "345" not in str(AuditEvent.objects.filter(action__startswith="member.").values_list("data", flat=True))


def test_an_invalid_phone_writes_nothing_and_names_the_field(brand: Brand) -> None:
    with pytest.raises(ValidationError) as caught:
        member_upsert(brand=brand, external_id="M1", name="x", phone="0912-34-567", actor="test")
    assert caught.value.message_dict["phone"] == ["0912-34-567: too short for a Taiwanese mobile number."]
    assert not Member.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="member.").exists()


def test_consent_grant_withdraw_grant_keeps_every_record_and_the_latest_wins(
    make_member: Callable[..., Member],
) -> None:
    member = make_member()
    for granted in (True, False, True):
        consent_record(member=member, purpose=PNP, granted=granted, source=ConsentSource.WEB_FORM, actor="test")
        member.refresh_from_db()
        assert member.pnp_consent is granted
        assert consent_state_from_history(member=member)[PNP] is granted
    assert list(Consent.objects.filter(member=member).order_by("id").values_list("granted", flat=True)) == [
        True,
        False,
        True,
    ]


def test_a_late_recorded_but_earlier_captured_grant_does_not_override_a_withdrawal(
    make_member: Callable[..., Member],
) -> None:
    member = make_member()
    consent_record(member=member, purpose=PNP, granted=False, source=ConsentSource.APP, actor="test")
    consent_record(
        member=member,
        purpose=PNP,
        granted=True,
        source=ConsentSource.STORE_COUNTER,
        captured_at=timezone.now() - timedelta(days=30),
        actor="test",
    )
    member.refresh_from_db()
    assert member.pnp_consent is False
    assert consent_state_from_history(member=member)[PNP] is False


def test_erasure_blanks_personal_data_keeps_history_and_blocks_recreation(make_member: Callable[..., Member]) -> None:
    member = make_member()
    consent_record(member=member, purpose=PNP, granted=True, source=ConsentSource.API, actor="test")
    member_erase(member=member, actor="test")
    member.refresh_from_db()
    assert (member.name, member.phone_raw, member.phone_e164, member.phone_hash) == ("", "", "", "")
    assert member.erased_at is not None
    assert Consent.objects.filter(member=member).count() == 1
    with pytest.raises(MemberErasedError):
        member_upsert(brand=member.brand, external_id=member.external_id, name="x", phone="0912345678", actor="t")


def test_two_members_with_one_number_are_both_flagged_and_unflagged_when_one_changes(
    make_member: Callable[..., Member],
) -> None:
    first = make_member("A", "0912345678")
    second = make_member("B", "+886 912 345 678")
    first.refresh_from_db()
    assert first.duplicate_phone and second.duplicate_phone
    make_member("B", "0933111222")
    first.refresh_from_db()
    assert not first.duplicate_phone


def test_a_422_flags_confirm_phone_number_and_a_new_number_clears_it(make_member: Callable[..., Member]) -> None:
    member = make_member()
    member_flag_phone_unreachable(member=member, reason="LINE 422: Failed to send messages")
    member.refresh_from_db()
    assert member.needs_phone_confirmation
    assert member.phone_flagged_at is not None
    member = make_member(phone="0933-111-222")
    assert not member.needs_phone_confirmation


def test_binding_needs_a_granted_binding_consent_and_a_free_uid(make_member: Callable[..., Member]) -> None:
    member = make_member("A")
    other = make_member("B", "0933111222")
    line_link_update(brand=member.brand, uid="U1", is_friend=True)
    pnp = consent_record(member=member, purpose=PNP, granted=True, source="app", actor="t")
    with pytest.raises(BindingConsentError):
        line_link_bind(member=member, uid="U1", consent=pnp, actor="t")
    binding = consent_record(member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source="app", actor="t")
    link = line_link_bind(member=member, uid="U1", consent=binding, actor="t")
    assert link.is_bound and link.is_friend  # the follow seen before binding carries over
    assert not UnlinkedLineFollower.objects.exists()
    other_binding = consent_record(
        member=other, purpose=ConsentPurpose.LINE_BINDING, granted=True, source="app", actor="t"
    )
    with pytest.raises(LineUidTakenError):
        line_link_bind(member=other, uid="U1", consent=other_binding, actor="t")
    line_link_update(brand=member.brand, uid="U1", is_friend=False)
    assert not LineLink.objects.get(member=member).is_friend
    line_link_unbind(member=member, actor="t")
    assert not LineLink.objects.get(member=member).is_bound


def test_logs_carry_masked_numbers_only(make_member: Callable[..., Member], caplog: pytest.LogCaptureFixture) -> None:
    member = make_member(phone="0912-345-678")
    with caplog.at_level("INFO", logger="members"):
        member_flag_phone_unreachable(member=member, reason="LINE 422")
    assert "0912-***-678" in caplog.text
    assert "345" not in caplog.text.replace(str(member.pk), "")


def test_a_reviewer_may_read_but_not_change_members(reviewer, manager) -> None:  # type: ignore[no-untyped-def]
    assert reviewer.has_perm("members.view_member") and not reviewer.has_perm("members.change_member")
    assert not reviewer.has_perm("members.add_importjob")
    assert manager.has_perm("members.change_member") and manager.has_perm("members.add_importjob")
    assert not manager.has_perm("members.delete_member")

from collections.abc import Callable

from members.choices import Channel, ConsentPurpose
from members.models import Member
from members.selectors import member_reachability
from members.services import consent_record, line_link_bind, line_link_update, member_flag_phone_unreachable


def _consent(member: Member, purpose: str, granted: bool) -> None:
    consent_record(member=member, purpose=purpose, granted=granted, source="web_form", actor="t")
    member.refresh_from_db()


def test_a_member_without_consent_is_reachable_on_no_channel_with_reasons(make_member: Callable[..., Member]) -> None:
    reach = member_reachability(make_member())
    assert reach.open == ()
    assert reach.closed[Channel.PNP] == "No PNP consent recorded."
    assert reach.closed[Channel.SMS] == "No SMS consent recorded."
    assert "not bound" in reach.closed[Channel.LINE_PUSH]


def test_pnp_needs_a_mobile_number_and_pnp_consent(make_member: Callable[..., Member]) -> None:
    mobile = make_member("A")
    landline = make_member("B", "(02) 2345-6789")
    for member in (mobile, landline):
        _consent(member, ConsentPurpose.PNP_NOTIFICATION, True)
        _consent(member, ConsentPurpose.SMS_NOTIFICATION, True)
    assert member_reachability(mobile).open == (Channel.PNP, Channel.SMS)
    assert member_reachability(landline).open == (Channel.SMS,)
    assert "mobile" in member_reachability(landline).closed[Channel.PNP]
    _consent(mobile, ConsentPurpose.PNP_NOTIFICATION, False)
    assert member_reachability(mobile).closed[Channel.PNP] == "The member withdrew PNP consent."


def test_line_push_needs_friend_bound_and_not_blocked(make_member: Callable[..., Member]) -> None:
    member = make_member()
    binding = consent_record(member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source="app", actor="t")
    line_link_bind(member=member, uid="U1", consent=binding, actor="t")
    member = Member.objects.get(pk=member.pk)
    assert "not a friend" in member_reachability(member).closed[Channel.LINE_PUSH]
    line_link_update(brand=member.brand, uid="U1", is_friend=True)
    member = Member.objects.get(pk=member.pk)
    assert member_reachability(member).can(Channel.LINE_PUSH)
    line_link_update(brand=member.brand, uid="U1", is_blocked=True)
    member = Member.objects.get(pk=member.pk)
    assert "blocked" in member_reachability(member).closed[Channel.LINE_PUSH]


def test_a_number_line_refused_closes_pnp_until_confirmed(make_member: Callable[..., Member]) -> None:
    member = make_member()
    _consent(member, ConsentPurpose.PNP_NOTIFICATION, True)
    member_flag_phone_unreachable(member=member, reason="422")
    member.refresh_from_db()
    assert "confirm the phone number" in member_reachability(member).closed[Channel.PNP]


def test_pnp_is_offered_only_for_numbers_of_taiwan_japan_and_thailand(make_member: Callable[..., Member]) -> None:
    # LINE offers PNP in Taiwan, Japan and Thailand; another country's number would only get a 422
    numbers = {
        "TW": "+886912345678",
        "JP": "+819012345678",
        "TH": "+66812345678",
        "UK": "+447911123456",
        "HK": "+85291234567",
        "US": "+12015550123",
    }
    members = {country: make_member(country, number) for country, number in numbers.items()}
    for member in members.values():
        _consent(member, ConsentPurpose.PNP_NOTIFICATION, True)
        _consent(member, ConsentPurpose.SMS_NOTIFICATION, True)

    opened = {country: member_reachability(member).open for country, member in members.items()}

    assert opened == {
        "TW": (Channel.PNP, Channel.SMS),
        "JP": (Channel.PNP, Channel.SMS),
        "TH": (Channel.PNP, Channel.SMS),
        "UK": (Channel.SMS,),
        "HK": (Channel.SMS,),
        "US": (Channel.SMS,),
    }
    assert member_reachability(members["UK"]).closed[Channel.PNP] == (
        "LINE offers PNP only for numbers of Taiwan, Japan and Thailand."
    )

import io

from binding.demo import seed
from binding.links import bind_link_for_member
from binding.models import BindingSettings
from binding.services import otp_send
from compliance.demo import seed as seed_compliance
from compliance.selectors import template_version_for_send
from members.demo import seed as seed_members
from members.models import LineLink, Member
from portal.demo import seed as seed_portal


def test_demo_seed_configures_demo_shops_binding_and_runs_twice(db: None) -> None:
    for step in (seed_portal, seed_members, seed_compliance, seed, seed):
        step(io.StringIO())

    binding = BindingSettings.objects.get(brand__slug="demo-shop")
    assert BindingSettings.objects.count() == 1
    for code in (binding.otp_template_code, binding.welcome_template_code):
        assert template_version_for_send(brand=binding.brand, code=code).status == "approved"
    member = Member.objects.get(brand=binding.brand, external_id="DS0107")
    assert member.line_link.is_bound
    assert bind_link_for_member(brand=binding.brand, member_id=member.pk).startswith("https://liff.line.me/")


def test_the_demo_friend_who_is_not_bound_yet_can_be_sent_a_binding_code(db: None) -> None:
    for step in (seed_portal, seed_members, seed_compliance, seed):
        step(io.StringIO())
    member = Member.objects.get(brand__slug="demo-shop", external_id="DS0109")
    assert not LineLink.objects.filter(member=member, bound_at__isnull=False).exists()

    otp = otp_send(member=member, actor="test")  # refused with no_channel before: no channel could carry it

    assert otp.notification is not None
    assert "sms" in otp.notification.channel_plan

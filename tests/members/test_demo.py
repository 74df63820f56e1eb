import io

from members.choices import Channel
from members.demo import demo_members, seed
from members.models import Member
from members.selectors import member_reachability
from portal.demo import seed as seed_portal


def test_demo_seed_covers_every_reachability_outcome_and_runs_twice(db: None) -> None:
    seed_portal(io.StringIO())
    seed(io.StringIO())
    count = Member.objects.count()
    seed(io.StringIO())
    assert Member.objects.count() == count == len(demo_members())
    outcomes = {member_reachability(m).open for m in Member.objects.select_related("line_link")}
    assert (Channel.LINE_PUSH, Channel.PNP, Channel.SMS) in outcomes
    assert (Channel.PNP,) in outcomes
    assert (Channel.SMS,) in outcomes
    assert () in outcomes
    assert Member.objects.filter(needs_phone_confirmation=True).exists()
    assert Member.objects.filter(duplicate_phone=True).count() == 2
    assert all(m.phone.startswith("+886") for m in demo_members())

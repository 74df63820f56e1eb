"""Demo members covering every reachability outcome, shared with the LINE sandbox world.

:func:`demo_members` is the single description of the demo population: the portal seeds
its records from it and the LINE sandbox generates its users from it, so that what the
portal believes (consent, binding) and what LINE "knows" (a LINE account on that number,
its notification setting, friendship, blocking) line up on purpose, mismatches included.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TextIO

from django.db import transaction

from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import (
    consent_record,
    line_link_bind,
    line_link_update,
    member_flag_phone_unreachable,
    member_upsert,
)
from portal.models import Brand

ACTOR = "demo"


@dataclass(frozen=True)
class DemoMember:
    """One demo member: the portal's record and the state of the matching sandbox LINE user."""

    brand: str
    external_id: str
    name: str
    phone: str  # E.164
    pnp_consent: bool | None = True  # consent recorded in the portal
    sms_consent: bool | None = None
    flagged: bool = False  # LINE refused a PNP before (422): "confirm phone number"
    line_uid: str = ""  # bound LINE user id, if bound
    # The sandbox LINE user behind the number:
    line_user: bool = True  # a LINE account is registered on this number
    sandbox_consent: str = "on"  # the user's PNP setting in LINE: on / off / unset (first-time prompt)
    friend: bool = False
    blocked: bool = False
    acts_after_minutes: int | None = None  # when the user finishes SMS verification / reads; None = at once

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shop() -> list[DemoMember]:
    names = [
        "王小明",
        "陳美麗",
        "林志豪",
        "張雅婷",
        "李承恩",
        "黃郁婷",
        "吳建宏",
        "劉怡君",
        "蔡宗翰",
        "楊淑芬",
        "許家豪",
        "鄭雅雯",
        "謝明哲",
        "洪佩君",
        "郭俊傑",
        "邱詩涵",
        "曾柏翰",
        "廖婉婷",
        "賴冠宇",
        "周欣怡",
    ]
    people = [
        DemoMember("demo-shop", f"DS{n + 1:04d}", name, f"+88691200{n + 1:04d}", sms_consent=n % 3 == 0)
        for n, name in enumerate(names)
    ]
    people += [
        # PNP consent withdrawn; SMS only
        DemoMember("demo-shop", "DS0101", "沈靜宜", "+886912001101", pnp_consent=False, sms_consent=True),
        # never asked: no consent recorded at all
        DemoMember("demo-shop", "DS0102", "何建志", "+886912001102", pnp_consent=None, sms_consent=None),
        # consent in the portal, but the user switched notification messages off in LINE
        DemoMember("demo-shop", "DS0103", "羅心怡", "+886912001103", sms_consent=True, sandbox_consent="off"),
        # first PNP ever: LINE shows its consent screen; the user takes 30 minutes to accept
        DemoMember(
            "demo-shop",
            "DS0104",
            "高志明",
            "+886912001104",
            sms_consent=True,
            sandbox_consent="unset",
            acts_after_minutes=30,
        ),
        # no LINE account on this number: LINE answers 422; flagged "confirm phone number"
        DemoMember("demo-shop", "DS0105", "葉怡萱", "+886912001105", sms_consent=True, flagged=True, line_user=False),
        # fixed line (a shop's landline): SMS and PNP both impossible, kept to show the reason
        DemoMember(
            "demo-shop", "DS0106", "示範門市", "+886223456789", pnp_consent=True, sms_consent=False, line_user=False
        ),
        # friend and bound: LINE push open
        DemoMember(
            "demo-shop",
            "DS0107",
            "孫偉倫",
            "+886912001107",
            sms_consent=True,
            friend=True,
            line_uid="U4af4980629b4a1f2d0e5c3b7a9d10107",
        ),
        # bound but blocked the account
        DemoMember(
            "demo-shop",
            "DS0108",
            "馬淑娟",
            "+886912001108",
            sms_consent=True,
            blocked=True,
            line_uid="U4af4980629b4a1f2d0e5c3b7a9d10108",
        ),
        # friend, not bound (follow seen, no binding consent yet): the binding code reaches them by SMS
        DemoMember("demo-shop", "DS0109", "朱家瑋", "+886912001109", sms_consent=True, friend=True),
        # has not passed LINE's SMS verification for six months: delivered after 90 minutes
        DemoMember("demo-shop", "DS0110", "胡雅琪", "+886912001110", sms_consent=True, acts_after_minutes=90),
        # shares a number with DS0001 (a family phone): both flagged as duplicates
        DemoMember("demo-shop", "DS0111", "王大明", "+886912000001", sms_consent=True),
    ]
    return people


def demo_members() -> list[DemoMember]:
    """Return the demo population for every brand, portal state and sandbox state together."""
    return [
        *_shop(),
        DemoMember("acme-telecom", "AT0001", "簡志強", "+886987000001", sms_consent=True),
        DemoMember("acme-telecom", "AT0002", "范姿吟", "+886987000002", pnp_consent=False, sms_consent=True),
        DemoMember(
            "acme-telecom",
            "AT0003",
            "方俊宏",
            "+886987000003",
            friend=True,
            line_uid="U9bd2c7a3e8f1045b6a7c9d2e3f400003",
        ),
        DemoMember("acme-telecom", "AT0004", "石佳穎", "+886987000004", pnp_consent=None, line_user=False),
    ]


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Create the demo members that are missing, with their consent and LINE link."""
    created = 0
    brands = {b.slug: b for b in Brand.objects.filter(slug__in={m.brand for m in demo_members()})}
    for demo in demo_members():
        brand = brands.get(demo.brand)
        if brand is None or Member.objects.filter(brand=brand, external_id=demo.external_id).exists():
            continue
        member, _ = member_upsert(
            brand=brand, external_id=demo.external_id, name=demo.name, phone=demo.phone, actor=ACTOR
        )
        for purpose, granted in (
            (ConsentPurpose.PNP_NOTIFICATION, demo.pnp_consent),
            (ConsentPurpose.SMS_NOTIFICATION, demo.sms_consent),
        ):
            if granted is not None:
                consent_record(
                    member=member,
                    purpose=purpose,
                    granted=granted,
                    source=ConsentSource.WEB_FORM,
                    evidence="Demo sign-up form",
                    notice_version="2026-01",
                    actor=ACTOR,
                )
        if demo.flagged:
            member_flag_phone_unreachable(member=member, reason="LINE 422: Failed to send messages", actor=ACTOR)
        uid = demo.line_uid or (f"Udemo{demo.external_id.lower()}" if demo.friend else "")
        if uid:
            line_link_update(brand=brand, uid=uid, is_friend=demo.friend, is_blocked=demo.blocked, actor=ACTOR)
        if demo.line_uid:
            binding = consent_record(
                member=member,
                purpose=ConsentPurpose.LINE_BINDING,
                granted=True,
                source=ConsentSource.APP,
                evidence="Bound from the membership card",
                actor=ACTOR,
            )
            line_link_bind(member=member, uid=demo.line_uid, consent=binding, actor=ACTOR)
        created += 1
    stdout.write(f"members: {created} demo members created\n")

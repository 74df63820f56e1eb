"""The simulated population: channels (brands' LINE Official Accounts) and LINE users.

Users are indexed by the SHA-256 hex digest of their E.164 phone number (with the `+`),
which is what the PNP API's `to` carries, and by their LINE user id (UID).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .faults import SeededRandom

SMS_VERIFICATION_DAYS = 180
DAY = 86400
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
UID = re.compile(r"^U[0-9a-f]{32}$")
CONSENTS = ("on", "off", "unset")

# Shares used by --generate (override with a "generate" block in the world file).
GENERATE_DEFAULTS = {
    "consent_on": 0.85,  # the rest is split between unset and off
    "consent_unset": 0.08,
    "sms_overdue": 0.10,  # share whose last SMS verification is older than 180 days
    "acts": 0.5,  # share of users needing an action (unset / overdue) who eventually act
    "friend": 0.30,  # per channel
    "blocked": 0.05,  # per channel
    "phone_start": 900000001,  # generated phones are +886 followed by consecutive 9-digit numbers
}
ACT_MINUTES = (2, 10, 30, 120, 600, 1400, 2000)  # 2000 min is past the 24-hour window


class WorldError(ValueError):
    pass


def phone_hash(phone: str) -> str:
    return hashlib.sha256(phone.encode("utf-8")).hexdigest()


def derived_hex(*parts: object, length: int = 32) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:length]


@dataclass
class Channel:
    channel_id: str
    channel_secret: str
    access_token: str
    webhook_url: str | None = None
    bot_user_id: str = ""
    brand_slug: str | None = None
    # LINE lists followers only to verified or premium accounts; any other gets 403 from /followers/ids.
    followers_api: bool = True
    # The month's target limit for messages (`/v2/bot/message/quota`): None means no limit set ("none").
    message_quota: int | None = None

    def __post_init__(self) -> None:
        if not self.bot_user_id:
            self.bot_user_id = "U" + derived_hex("bot", self.channel_id)

    def as_dict(self) -> dict:
        return {
            "channel_id": self.channel_id,
            "channel_secret": self.channel_secret,
            "access_token": self.access_token,
            "webhook_url": self.webhook_url,
            "bot_user_id": self.bot_user_id,
            "brand_slug": self.brand_slug,
            "followers_api": self.followers_api,
            "message_quota": self.message_quota,
        }


class Link:
    """A user's relation to one channel."""

    __slots__ = ("blocked", "friend")

    def __init__(self, friend: bool = False, blocked: bool = False) -> None:
        self.friend = friend
        self.blocked = blocked


class User:
    __slots__ = (
        "act_due",
        "acts_after_minutes",
        "consent",
        "display_name",
        "hash",
        "links",
        "phone",
        "privacy_ok",
        "sms_status",
        "sms_verified_at",
        "uid",
    )

    def __init__(
        self,
        phone: str,
        uid: str,
        consent: str,
        sms_verified_at: float,
        acts_after_minutes: float | None,
        links: dict[str, Link] | None,
        sms_status: str = "DELIVERED",
        privacy_ok: bool = True,
        display_name: str | None = None,
    ) -> None:
        self.phone = phone
        self.uid = uid
        self.hash = phone_hash(phone)
        self.consent = consent
        self.sms_verified_at = sms_verified_at
        self.acts_after_minutes = acts_after_minutes
        self.links = links
        self.act_due: float | None = None  # simulated time at which a pending action happens
        self.sms_status = sms_status
        self.privacy_ok = privacy_ok
        self.display_name = display_name or f"LINE user {uid[-4:]}"

    def link(self, channel_id: str) -> Link | None:
        return self.links.get(channel_id) if self.links else None

    def link_for_update(self, channel_id: str) -> Link:
        if self.links is None:
            self.links = {}
        link = self.links.get(channel_id)
        if link is None:
            link = self.links[channel_id] = Link()
        return link

    def blocked_on(self, channel_id: str) -> bool:
        link = self.link(channel_id)
        return link is not None and link.blocked

    def needs_action(self, now: float) -> bool:
        """Return True when the user must still consent or re-verify by SMS before a PNP reaches them."""
        return self.consent == "unset" or now - self.sms_verified_at > SMS_VERIFICATION_DAYS * DAY

    def act(self, now: float) -> None:
        """Consent (globally) and pass SMS verification at `now`."""
        if self.consent == "unset":
            self.consent = "on"
        self.sms_verified_at = now
        self.act_due = None

    def as_dict(self, now: float) -> dict:
        return {
            "phone": self.phone,
            "uid": self.uid,
            "hash": self.hash,
            "consent": self.consent,
            "sms_verified_days_ago": round((now - self.sms_verified_at) / DAY, 3),
            "acts_after_minutes": self.acts_after_minutes,
            "privacy_policy": self.privacy_ok,
            "sms_status": self.sms_status,
            "display_name": self.display_name,
            "channels": {cid: {"friend": ln.friend, "blocked": ln.blocked} for cid, ln in (self.links or {}).items()},
        }


@dataclass
class World:
    channels: dict[str, Channel] = field(default_factory=dict)
    users_by_hash: dict[str, User] = field(default_factory=dict)
    users_by_uid: dict[str, User] = field(default_factory=dict)
    channels_by_token: dict[str, Channel] = field(default_factory=dict)
    # (channel_id or "*", "yyyyMMdd") -> forced status of the count endpoint
    count_status: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.channel_id] = channel
        self.channels_by_token[channel.access_token] = channel

    def add_user(self, user: User) -> None:
        old = self.users_by_hash.get(user.hash)
        if old is not None:
            self.users_by_uid.pop(old.uid, None)
        self.users_by_hash[user.hash] = user
        self.users_by_uid[user.uid] = user

    def find_user(self, key: str) -> User | None:
        """Find a user by phone, phone hash or UID."""
        if key.startswith("+"):
            return self.users_by_hash.get(phone_hash(key))
        if key.startswith("U"):
            return self.users_by_uid.get(key)
        return self.users_by_hash.get(key)


def channel_from_dict(data: dict, portal_url: str) -> Channel:
    try:
        channel_id = str(data["channel_id"])
    except KeyError as exc:
        raise WorldError(f"channel without channel_id: {data!r}") from exc
    slug = data.get("brand_slug")
    webhook_url = data.get("webhook_url")
    if not webhook_url and slug:
        webhook_url = f"{portal_url.rstrip('/')}/webhooks/line/{slug}"
    return Channel(
        channel_id=channel_id,
        channel_secret=str(data.get("channel_secret") or derived_hex("secret", channel_id)),
        access_token=str(data.get("access_token") or f"sandbox-token-{channel_id}"),
        webhook_url=webhook_url,
        bot_user_id=str(data.get("bot_user_id") or ""),
        brand_slug=slug,
        followers_api=bool(data.get("followers_api", True)),
        message_quota=None if data.get("message_quota") is None else int(data["message_quota"]),
    )


def user_from_dict(data: dict, now: float) -> User:
    phone = data.get("phone")
    if not isinstance(phone, str) or not E164.match(phone):
        raise WorldError(f"user phone must be E.164 with '+': {phone!r}")
    consent = data.get("consent", "on")
    if consent not in CONSENTS:
        raise WorldError(f"user {phone}: consent must be one of {CONSENTS}, got {consent!r}")
    uid = data.get("uid") or "U" + derived_hex("uid", phone)
    if not UID.match(uid):
        raise WorldError(f"user {phone}: uid must be 'U' + 32 lowercase hex, got {uid!r}")
    acts = data.get("acts_after_minutes")
    links = {
        str(cid): Link(bool(state.get("friend", False)), bool(state.get("blocked", False)))
        for cid, state in (data.get("channels") or {}).items()
    }
    return User(
        phone=phone,
        uid=uid,
        consent=consent,
        sms_verified_at=now - float(data.get("sms_verified_days_ago", 0)) * DAY,
        acts_after_minutes=None if acts is None else float(acts),
        links=links or None,
        sms_status=str(data.get("sms_status", "DELIVERED")),
        privacy_ok=bool(data.get("privacy_policy", True)),
        display_name=data.get("display_name"),
    )


def default_channels(slugs: list[str], portal_url: str) -> list[Channel]:
    return [
        channel_from_dict(
            {
                "channel_id": str(2000000001 + i),
                "brand_slug": slug,
                "channel_secret": derived_hex("secret", slug),
                "access_token": f"sandbox-token-{slug}",
            },
            portal_url,
        )
        for i, slug in enumerate(slugs)
    ]


def generate_users(count: int, seed: int, channel_ids: list[str], now: float, options: dict | None = None):
    """Yield `count` users; the same seed, count and channels give the same users."""
    opts = {**GENERATE_DEFAULTS, **(options or {})}
    rng = SeededRandom(seed)
    start = int(opts["phone_start"])
    for i in range(count):
        phone = f"+886{start + i:09d}"
        roll = rng.random()
        if roll < opts["consent_on"]:
            consent = "on"
        elif roll < opts["consent_on"] + opts["consent_unset"]:
            consent = "unset"
        else:
            consent = "off"
        if rng.random() < opts["sms_overdue"]:
            days = rng.uniform(181, 400)
        else:
            days = rng.uniform(0, 179)
        acts = rng.choice(ACT_MINUTES) if rng.random() < opts["acts"] else None
        links = None
        for cid in channel_ids:
            friend = rng.random() < opts["friend"]
            blocked = rng.random() < opts["blocked"]
            if friend or blocked:
                if links is None:
                    links = {}
                links[cid] = Link(friend, blocked)
        yield User(
            phone=phone,
            uid="U" + derived_hex("uid", seed, phone),
            consent=consent,
            sms_verified_at=now - days * DAY,
            acts_after_minutes=acts,
            links=links,
        )


def build_world(
    *,
    data: dict | None,
    generate: int | None,
    seed: int,
    now: float,
    portal_url: str,
    channel_slugs: list[str] | None = None,
) -> World:
    """Build the world from parsed world-file data plus `generate` seeded users."""
    data = data or {}
    world = World()
    for item in data.get("channels", []):
        world.add_channel(channel_from_dict(item, portal_url))
    if not world.channels:
        for channel in default_channels(channel_slugs or ["demo"], portal_url):
            world.add_channel(channel)
    for item in data.get("users", []):
        world.add_user(user_from_dict(item, now))
    gen = dict(data.get("generate") or {})
    count = generate if generate is not None else int(gen.pop("count", 0) or 0)
    gen.pop("count", None)
    gen_seed = int(gen.pop("seed", seed))
    if count:
        for user in generate_users(count, gen_seed, sorted(world.channels), now, gen):
            if user.hash not in world.users_by_hash:  # users from the file win
                world.add_user(user)
    for key, dates in (data.get("pnp_count_status") or {}).items():
        for date, status in dates.items():
            world.count_status[(str(key), str(date))] = str(status)
    return world


def load_world_file(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise WorldError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise WorldError(f"{path}: the world file must hold a JSON object")
    return data

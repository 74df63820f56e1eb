"""Write the LINE sandbox's world file from the portal's brands and the demo population."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import Brand


def _user(member: Any) -> dict[str, Any]:
    channel_states = {}
    for brand in Brand.objects.filter(slug=member.brand):
        channel_states[brand.line_channel_id] = {"friend": member.friend, "blocked": member.blocked}
    user: dict[str, Any] = {
        "phone": member.phone,
        "consent": member.sandbox_consent,
        "sms_verified_days_ago": 30 if member.acts_after_minutes is None else 400,
        "acts_after_minutes": member.acts_after_minutes,
        "channels": channel_states,
    }
    if member.line_uid:
        user["uid"] = member.line_uid
    return user


class Command(BaseCommand):
    help = "Write the sandbox world (channels with their secrets, demo LINE users). Development only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True)
        parser.add_argument("--portal-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The sandbox world holds channel secrets in clear: it is written only with DEBUG on.")
        from members.demo import demo_members

        portal = options["portal_url"].rstrip("/")
        channels = [
            {
                "channel_id": brand.line_channel_id,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "webhook_url": f"{portal}/webhooks/line/{brand.slug}",
                "brand_slug": brand.slug,
            }
            for brand in Brand.objects.exclude(line_channel_id="").order_by("slug")
            if brand.channel_secret and brand.channel_access_token
        ]
        users = [_user(member) for member in demo_members() if member.line_user]
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"channels": channels, "users": users}, ensure_ascii=False, indent=1))
        path.chmod(0o600)
        self.stdout.write(f"Sandbox world: {len(channels)} channels, {len(users)} users → {path}")

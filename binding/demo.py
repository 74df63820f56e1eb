"""Demo binding settings for demo-shop: its LIFF binding page, OTP and welcome templates. Safe to run again.

demo-shop's bound members (DS0107, DS0108) come from the members demo; the approved
``signup_otp`` and ``welcome_bind`` templates from the compliance demo.
"""

from __future__ import annotations

from typing import TextIO

from django.db import transaction

from binding.models import BindingSettings
from binding.services import binding_settings_save
from portal.models import Brand

BRAND = "demo-shop"
PAGE_URL = "https://liff.line.me/1650000001-bind?token={token}"
# A LIFF ID starts with its LINE Login channel's id: the channel the page's ID tokens are for.
LOGIN_CHANNEL_ID = "1650000001"


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Create demo-shop's binding settings if missing; otherwise only fill in a missing login channel."""
    brand = Brand.objects.filter(slug=BRAND).first()
    if brand is None:
        return
    existing = BindingSettings.objects.filter(brand=brand).first()
    if existing is not None:
        if not existing.login_channel_id:
            existing.login_channel_id = LOGIN_CHANNEL_ID
            binding_settings_save(binding=existing, actor="command:seed_demo")
        return
    binding_settings_save(
        binding=BindingSettings(
            brand=brand,
            page_url_template=PAGE_URL,
            otp_template_code="signup_otp",
            welcome_template_code="welcome_bind",
            welcome_user_name="朋友",
            login_channel_id=LOGIN_CHANNEL_ID,
        ),
        actor="command:seed_demo",
    )
    stdout.write(f"  binding settings {BRAND}\n")

"""An account manager sets up the brand's binding page and reads the binding funnel."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from binding.choices import BindingMetric
from binding.models import BindingSettings
from binding.stats import binding_stat_add
from notifications.choices import Channel, Metric
from notifications.stats import stats_add
from portal.models import Brand
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser]

SHOTS = Path("var/screenshots")


def test_a_manager_configures_binding_and_reads_the_funnel(
    transactional_db: None, live_server: Any, page: Page, manager: User, brand: Brand
) -> None:
    # given a week of sends and bindings
    now = timezone.now()
    stats_add(
        Counter(
            {
                (brand.pk, now, Channel.PNP, Metric.DELIVERED): 120,
                (brand.pk, now, Channel.PNP, Metric.SENT): 150,
                (brand.pk, now, Channel.LINE_PUSH, Metric.SENT): 60,
                (brand.pk, now, Channel.SMS, Metric.SENT): 40,
            }
        )
    )
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.FOLLOWS, n=30)
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.WELCOMES, n=25)
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.BOUND, n=12)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # when the manager adds the binding settings with a LIFF page
    page.goto(f"{base}/admin/binding/bindingsettings/add/")
    page.select_option("#id_brand", str(brand.pk))
    page.fill("#id_page_url_template", "https://liff.line.me/1650000000-abcd?token={token}")
    page.fill("#id_otp_template_code", "signup_otp")
    page.fill("#id_welcome_template_code", "welcome_bind")
    page.screenshot(path=str(SHOTS / "binding_settings_form.png"), full_page=True)
    page.click("input[name=_save]")

    # then the settings are listed, and the funnel shows the brand's figures
    expect(page.locator("#result_list")).to_contain_text("https://liff.line.me/1650000000-abcd?token={token}")
    assert BindingSettings.objects.filter(brand=brand).exists()
    page.click("#binding-funnel-link")
    table = page.locator("#binding-funnel")
    expect(table).to_contain_text(brand.name)
    expect(table).to_contain_text("60 / 250")
    expect(table).to_contain_text("12.0")  # 60 pushes × 0.2 TWD instead of PNP
    page.screenshot(path=str(SHOTS / "binding_funnel.png"), full_page=True)

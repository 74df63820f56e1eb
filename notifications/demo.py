"""Demo SMS accounts and a first wave of notifications for ``make run``. Safe to run again."""

from __future__ import annotations

from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from notifications.models import Notification, SmsAccount, SmsVendor
from portal.models import Brand

# slug → price per SMS segment (the seed documents quote 0.8–2 TWD)
SMS_PRICES = {"demo-shop": Decimal("0.80"), "acme-telecom": Decimal("1.20"), "sunrise-clinic": Decimal("2.00")}


def seed(stdout: TextIO) -> None:
    """Give each demo brand an SMS account on the sandbox's Mitake gateway; queue demo sends once."""
    for slug, price in SMS_PRICES.items():
        brand = Brand.objects.filter(slug=slug).first()
        if brand is None:
            continue
        # No URL of its own: the account follows SMS_API_BASE_URL (the sandbox on SANDBOX_PORT) at
        # each send. A copy frozen by an earlier seed on the sandbox's host is cleared the same way.
        SmsAccount.objects.filter(brand=brand, base_url__startswith="http://127.0.0.1:").update(base_url="")
        if SmsAccount.objects.filter(brand=brand).exists():
            continue
        SmsAccount.objects.create(
            brand=brand,
            vendor=SmsVendor.MITAKE,
            base_url="",
            username="sandbox",
            password="sandbox",
            price_per_segment=price,
        )
        stdout.write(f"  SMS account for {slug} ({price} TWD a segment)\n")
    _send_demo_notifications(stdout)


def _send_demo_notifications(stdout: TextIO) -> None:
    from compliance.exceptions import ComplianceError
    from members.models import Member
    from notifications.services import SendRequest, notification_accept
    from portal.exceptions import PortalError

    brand = Brand.objects.filter(slug="demo-shop").first()
    if brand is None or Notification.objects.filter(brand=brand, submitted_by="demo").exists():
        return
    sent = refused = 0
    now = timezone.localtime()
    for n, member in enumerate(Member.objects.filter(brand=brand, erased_at__isnull=True).order_by("external_id")):
        request = SendRequest(
            template="shipping_notice",
            member=member.external_id,
            variables={"order_id": f"DS{now:%m%d}{n:04d}", "event_time": f"{now:%Y-%m-%d %H:%M}"},
            occurred_at=now,
        )
        try:
            notification_accept(brand=brand, request=request, submitted_by="demo")
            sent += 1
        except (ComplianceError, PortalError):
            refused += 1  # members no channel can reach: the API would refuse them the same way
    stdout.write(f"  {sent} demo notifications queued for demo-shop ({refused} refused: no channel)\n")

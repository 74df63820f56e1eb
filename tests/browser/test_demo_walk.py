"""From `make run`: a PNP with a bind link, the member's phone view, the binding page, bound, then LINE push."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.portal.test_run_demo import Demo, manage
from tests.sandbox.conftest import free_port, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

SHOTS = Path("/tmp/shots-newcomer")
MEMBER, PHONE = "DS0001", "+886912000001"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port, sandbox_port = free_port(), free_port()
    manage(tmp_path, port, sandbox_port, "migrate", "--noinput")
    manage(tmp_path, port, sandbox_port, "seed_demo")
    running = Demo(tmp_path, port, sandbox_port, "--port", str(port), "--sandbox-port", str(sandbox_port))
    yield running
    running.stop()


def send(demo: Demo, key: str, template: str) -> dict:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {key}"}
    body = {"template": template, "member": MEMBER, "variables": {"order_id": "A1", "event_time": "2026-11-25 10:00"}}
    response = http.post(
        f"{demo.url}/api/v1/notifications",
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        json=body,
        timeout=30,
    )
    assert response.status_code == 202, response.text
    url = f"{demo.url}/api/v1/notifications/{response.json()['id']}"
    found: list[dict] = []

    def delivered() -> bool:
        found[:] = [http.get(url, headers=headers, timeout=10).json()]
        return found[0]["status"] == "delivered"

    assert wait_until(delivered, 120), (found, demo.log.read_text()[-3000:])
    return found[0]


def test_a_member_binds_from_a_pnp_in_the_phone_view_and_is_then_reached_by_push(demo: Demo, page: Page) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    _, key = demo.key()
    sandbox = f"http://127.0.0.1:{demo.sandbox_port}"
    assert wait_until(lambda: _up(demo.url + "/healthz") and _up(sandbox + "/sandbox/clock"), 60)

    # the API docs page renders under the CSP
    page.goto(f"{demo.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PNP portal API", timeout=20_000)
    page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=False)

    # given: a shipping notice with a bind link, delivered by PNP
    first = send(demo, key, "shipping_bind")
    assert first["delivered_channel"] == "pnp"

    # when: the member's phone view shows it and the member taps the link
    page.set_viewport_size({"width": 430, "height": 900})
    phone = f"{sandbox}/sandbox/phone/{quote(PHONE)}"
    page.goto(phone)
    with_link = page.locator(".item.pnp", has_text="liff.line.me")
    expect(with_link).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(SHOTS / "phone-view-pnp.png"), full_page=True)
    with_link.locator("a.tap").first.click()

    # then: the binding page says who binds to which member; a code goes to the phone
    expect(page.locator("#who")).to_be_visible(timeout=15_000)
    expect(page.locator("#member")).to_contain_text(MEMBER)
    page.screenshot(path=str(SHOTS / "binding-page.png"), full_page=True)
    bind_page = page.url
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#sent")).to_be_visible()

    code = ""
    deadline = time.monotonic() + 60
    while not code and time.monotonic() < deadline:
        text = requests.get(phone, timeout=10).text
        codes = re.findall(r"驗證碼 (\d{6})", text)
        code = codes[-1] if codes else ""
        if not code:
            time.sleep(0.5)
    assert code, "no OTP reached the phone"
    other = page.context.new_page()
    other.goto(phone)
    other.screenshot(path=str(SHOTS / "phone-view-otp.png"), full_page=True)
    other.close()

    page.get_by_label("One-time password").fill(code)
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Bind").click()
    expect(page.locator("#bound")).to_be_visible(timeout=15_000)
    page.screenshot(path=str(SHOTS / "binding-page-bound.png"), full_page=True)
    assert "/demo/bind/" in bind_page

    # and: the next notification goes by LINE push, and the phone shows it
    second = send(demo, key, "shipping_notice")
    assert second["delivered_channel"] == "line_push", second
    page.goto(phone)
    expect(page.locator(".item.push")).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(SHOTS / "phone-view-push.png"), full_page=True)


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False

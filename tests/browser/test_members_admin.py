"""An account manager imports a small member file in the admin and reads the result."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from members.models import Member
from members.services import member_upsert
from portal.models import Brand
from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.browser
def test_an_account_manager_imports_a_small_csv_and_sees_the_result(
    page: Page, live_server, transactional_db: None, manager: User, brand: Brand, tmp_path: Path
) -> None:
    # given
    member_upsert(brand=brand, external_id="K0", name="既有會員", phone="0933-111-222", actor="test")
    csv_file = tmp_path / "members.csv"
    csv_file.write_text(
        "external_id,name,phone,pnp_consent,sms_consent\n"
        "K1,王小明,0912-345-678,1,\n"
        "K2,陳美麗,+886 912 345 679,1,1\n"
        "K3,號碼太短,0912-34-567,1,\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    # when
    page.goto(f"{live_server.url}/admin/members/member/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.click("text=Import members")
    page.select_option("#id_brand", str(brand.pk))
    page.set_input_files("#id_file", str(csv_file))
    page.screenshot(path=str(SCREENSHOTS / "members-import-form.png"), full_page=True)
    page.click("input[type=submit][value=Import]")
    # then
    expect(page.locator("body")).to_contain_text("Download the rejected rows")
    page.screenshot(path=str(SCREENSHOTS / "members-import-result.png"), full_page=True)
    assert Member.objects.filter(brand=brand).count() == 3
    page.goto(f"{live_server.url}/admin/members/member/")
    expect(page.locator("#result_list")).to_contain_text("0912-***-678")
    expect(page.locator("#result_list")).not_to_contain_text("0912-345-678")
    page.screenshot(path=str(SCREENSHOTS / "members-list.png"), full_page=True)
    page.click("text=K1")
    expect(page.locator("body")).to_contain_text("+886912345678")
    page.screenshot(path=str(SCREENSHOTS / "members-detail.png"), full_page=True)

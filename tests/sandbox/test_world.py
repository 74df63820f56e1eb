"""Population: world files, seeded generation, simulated time, and the import boundary."""

import os
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(90)


def world_users(box):
    users = box.get("/sandbox/world", params={"users": 1}).json()["users"]
    # "days ago" is read off each sandbox's own clock, started a moment apart: compare whole days.
    return [{**u, "sms_verified_days_ago": round(u["sms_verified_days_ago"])} for u in users]


def test_seeded_generation_is_repeatable(start_sandbox):
    first = start_sandbox(["--generate", "200", "--seed", "7", "--channels", "acme,globex"])
    second = start_sandbox(["--generate", "200", "--seed", "7", "--channels", "acme,globex"])
    other = start_sandbox(["--generate", "200", "--seed", "8", "--channels", "acme,globex"])
    users = world_users(first)
    assert len(users) == 200
    assert users == world_users(second)
    assert users != world_users(other)
    assert {u["consent"] for u in users} == {"on", "off", "unset"}
    assert first.get("/sandbox/world").json()["channels"] == second.get("/sandbox/world").json()["channels"]


def test_generated_users_receive_pnp(start_sandbox, receiver):
    box = start_sandbox(["--generate", "50", "--seed", "1"])
    users = world_users(box)
    eligible = next(
        u
        for u in users
        if u["consent"] == "on"
        and u["sms_verified_days_ago"] < 180
        and not any(c["blocked"] for c in u["channels"].values())
    )
    response = box.pnp(eligible["hash"], token="sandbox-token-demo", tag=new_tag())
    assert response.status_code == 200
    assert box.records()[0]["outcome"] == "delivered"


def test_users_can_be_added_while_running(sandbox):
    sandbox.admin("/sandbox/users", {"users": [{"phone": "+886955000111", "consent": "on"}]})
    assert sandbox.pnp(phone_hash("+886955000111"), tag=new_tag()).status_code == 200


def test_the_time_factor_makes_24_hours_pass_in_seconds(start_sandbox, receiver):
    from .conftest import PHONES, make_world

    box = start_sandbox(["--time-factor", "3600", "--webhook-batch", "1"], make_world(receiver.url))
    before = box.get("/sandbox/clock").json()["now_ms"]
    tag = new_tag()
    box.pnp(phone_hash(PHONES["unset_acts"]), tag=tag)  # acts after 30 simulated minutes = 0.5 s
    assert wait_until(lambda: receiver.delivery_events(tag), 5)
    time.sleep(0.2)
    assert box.get("/sandbox/clock").json()["now_ms"] - before > 1800 * 1000


def test_the_start_time_can_be_set(start_sandbox):
    box = start_sandbox(["--start-time", "2025-01-31T23:30:00+08:00", "--time-factor", "0"])
    assert box.get("/sandbox/clock").json()["jst_date"] == "20250201"


def test_the_server_modules_import_neither_django_nor_the_portal():
    code = (
        "import sys; import line_sandbox.cli, line_sandbox.server, line_sandbox.sms, line_sandbox.admin; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'portal', 'members', 'notifications')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_world_file_is_reported(tmp_path):
    path = tmp_path / "world.json"
    path.write_text('{"users": [{"phone": "0912345678"}]}')
    result = subprocess.run(
        [sys.executable, "-m", "line_sandbox", "--world", str(path)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "E.164" in result.stderr


def test_the_management_command_accepts_the_same_options(tmp_path):
    pytest.importorskip("django")
    (tmp_path / "sandbox_only_settings.py").write_text(
        'SECRET_KEY = "x"\nINSTALLED_APPS = ["line_sandbox"]\nDATABASES = {}\nUSE_TZ = True\n'
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]),
        "DJANGO_SETTINGS_MODULE": "sandbox_only_settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "line_sandbox", "--help"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    for option in ("--port", "--world", "--generate", "--seed", "--time-factor", "--faults", "--portal-url"):
        assert option in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "django", "line_sandbox", "--faults", "pnp:nope=1"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert "nope" in bad.stderr

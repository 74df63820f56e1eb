"""`make run` on ports other than the defaults: every URL follows PORT and SANDBOX_PORT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.sandbox.conftest import ROOT, free_port, wait_until

KEY_LINE = re.compile(r"API key for demo-shop \(([^)]*)\): (\S+)")


class Demo:
    """`manage.py run_demo` in its own run directory, with its output kept for the assertions."""

    def __init__(self, var_dir: Path, port: int, sandbox_port: int, *args: str) -> None:
        self.var_dir, self.port, self.sandbox_port = var_dir, port, sandbox_port
        self.url = f"http://127.0.0.1:{port}"
        self.log = var_dir / f"run-demo-{time.time_ns()}.log"
        log_fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_demo", *args],
            cwd=ROOT,
            env=demo_env(var_dir, port, sandbox_port),
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        os.close(log_fd)

    def key(self, timeout: float = 60) -> tuple[str, str]:
        found: list[tuple[str, str]] = []

        def printed() -> bool:
            assert self.proc.poll() is None, self.log.read_text()
            match = KEY_LINE.search(self.log.read_text())
            if match:
                found.append((match.group(1), match.group(2)))
            return bool(found)

        assert wait_until(printed, timeout), self.log.read_text()
        return found[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def demo_env(var_dir: Path, port: int, sandbox_port: int) -> dict[str, str]:
    """The environment of a fresh clone's `make run PORT=… SANDBOX_PORT=…`: nothing else set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "LINE_API_BASE_URL", "SMS_API_BASE_URL"}
        and k != "PORTAL_BASE_URL"
        and not k.startswith("CELERY_FILESYSTEM")
    }
    return {**env, "VAR_DIR": str(var_dir), "PORT": str(port), "SANDBOX_PORT": str(sandbox_port)}


def manage(var_dir: Path, port: int, sandbox_port: int, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=demo_env(var_dir, port, sandbox_port),
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    port, sandbox_port = free_port(), free_port()
    assert 8000 not in (port, sandbox_port) and 8090 not in (port, sandbox_port)
    manage(tmp_path, port, sandbox_port, "migrate", "--noinput")
    manage(tmp_path, port, sandbox_port, "seed_demo")
    yield tmp_path, port, sandbox_port


def send(http: requests.Session, url: str, key: str, member: str) -> int:
    response = http.post(
        f"{url}/api/v1/notifications",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
        json={
            "template": "shipping_notice",
            "member": member,
            "variables": {"order_id": f"PORT{member}", "event_time": "2026-11-25 10:00"},
        },
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


@pytest.mark.timeout(420)
def test_demo_on_other_ports_delivers_a_pnp_and_an_sms_with_their_reports(run_dir: tuple[Path, int, int]) -> None:
    # given: a demo on two free ports, none of them the defaults, nothing else configured
    var_dir, port, sandbox_port = run_dir
    demo = Demo(var_dir, port, sandbox_port, "--port", str(port), "--sandbox-port", str(sandbox_port))
    try:
        note, key = demo.key()
        assert note == "new"
        http = requests.Session()

        def up() -> bool:
            try:
                web = http.get(f"{demo.url}/healthz", timeout=2).ok
                return web and http.get(f"http://127.0.0.1:{sandbox_port}/sandbox/clock", timeout=2).ok
            except requests.ConnectionError:
                return False

        assert wait_until(up, 60), demo.log.read_text()

        # when: one member reachable by PNP, one by SMS only
        pnp_id = send(http, demo.url, key, "DS0002")
        sms_id = send(http, demo.url, key, "DS0101")

        # then: both are delivered, which takes the sandbox's webhook and SMS report reaching this port
        def status(notification_id: int) -> dict:
            response = http.get(
                f"{demo.url}/api/v1/notifications/{notification_id}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            return response.json()

        assert wait_until(lambda: status(pnp_id)["status"] == "delivered", 120), (status(pnp_id), demo.log.read_text())
        assert wait_until(lambda: status(sms_id)["status"] == "delivered", 120), (status(sms_id), demo.log.read_text())
        assert [a["channel"] for a in status(pnp_id)["attempts"]] == ["pnp"]
        assert [a["channel"] for a in status(sms_id)["attempts"]] == ["sms"]
    finally:
        demo.stop()

    # and: a restart prints the same key, which still opens the API
    again = Demo(var_dir, port, sandbox_port, "--port", str(port), "--sandbox-port", str(sandbox_port))
    try:
        note, same_key = again.key()
        assert same_key == key
        assert "kept in" in note
    finally:
        again.stop()

"""Fixtures that run the sandbox as a real subprocess and capture what it sends back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/sandbox" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.timeout(60))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def phone_hash(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()


def line_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def new_tag() -> str:
    return "t_" + uuid.uuid4().hex


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Received:
    def __init__(self, method: str, path: str, headers: dict, body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def query(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}


class Receiver:
    """A tiny HTTP server standing in for the portal: it records every request and answers as planned."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.plan: list[int] = []  # statuses to answer with next, then 200
        self.bodies: list[bytes] = []  # bodies to answer with next (as application/json), then {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.plan.pop(0) if receiver.plan else 200
                    planned = receiver.bodies.pop(0) if receiver.bodies else None
                if "/mitake" in self.path:
                    msgid = parse_qs(urlsplit(self.path).query).get("msgid", [""])[0]
                    reply = f"magicid=sms_gateway_rpack\nmsgid={msgid}\n".encode()
                    ctype = "text/plain"
                else:
                    reply, ctype = (b"{}" if planned is None else planned), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_GET = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.plan.clear()
            self.bodies.clear()

    def line_posts(self, slug: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/webhooks/line/" + (slug or ""))]

    def events(self, slug: str | None = None) -> list[tuple[dict, Received]]:
        return [(event, r) for r in self.line_posts(slug) for event in r.json()["events"]]

    def delivery_events(self, data: str) -> list[dict]:
        return [e for e, _ in self.events() if e["type"] == "delivery" and e["delivery"]["data"] == data]

    def paths(self, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SandboxProcess:
    """A running `python -m line_sandbox` and a requests session to talk to it."""

    def __init__(self, args: list[str], tmp_dir: Path, world: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "line_sandbox", "--port", str(self.port), *args]
        if world is not None:
            path = tmp_dir / f"world-{self.port}.json"
            path.write_text(json.dumps(world))
            command += ["--world", str(path)]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.log_path = tmp_dir / f"sandbox-{self.port}.log"
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_fd, stderr=subprocess.STDOUT)
        os.close(log_fd)
        self.http = requests.Session()
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}: {self.log_path.read_text()}")
            try:
                if self.http.get(self.url + "/sandbox/clock", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox did not answer within 15 s")
            time.sleep(0.05)

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.post(self.url + path, **kwargs)

    def admin(self, path: str, payload: dict | None = None) -> dict:
        response = self.post(path, json=payload or {})
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float) -> dict:
        return self.admin("/sandbox/clock/advance", {"seconds": seconds})

    def inspect(self, **params) -> dict:
        response = self.get("/sandbox/inspect", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def quiet(self, timeout: float = 10.0) -> None:
        """Wait until the sandbox has nothing left to do now: no action due, no webhook or report pending.

        What a test expects *not* to arrive is checked after this, not after a fixed sleep: a
        late event then fails the test instead of passing it.
        """

        def idle() -> bool:
            summary = self.inspect(summary=1)["summary"]
            return summary["due"] == 0 and summary["webhooks"]["pending"] == 0

        assert wait_until(idle, timeout), f"the sandbox still had work after {timeout} s: {self.inspect(summary=1)}"

    def records(self, **params) -> list[dict]:
        return self.inspect(**params)["records"]

    def pnp(
        self,
        to: str,
        *,
        token: str = "token-acme",
        tag: str | None = None,
        messages=None,
        headers: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        hdrs = {"Authorization": f"Bearer {token}"}
        if tag is not None:
            hdrs["X-Line-Delivery-Tag"] = tag
        hdrs.update(headers or {})
        if messages is None:
            messages = [{"type": "text", "text": "您的包裹已送達"}]
        body = {"to": to, "messages": messages}
        return self.post("/bot/pnp/push", json=body, headers=hdrs, **kwargs)

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


ACME_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
GLOBEX_SECRET = "0f0e0d0c0b0a09080706050403020100"
BOT_ACME = "U8e742f61d673b39c7fff3cecb7536ef0"

PHONES = {
    "ok": "+886900000001",
    "off": "+886900000002",
    "blocked": "+886900000003",
    "unset_acts": "+886900000004",
    "unset_never": "+886900000005",
    "unset_late": "+886900000006",
    "sms_due_acts": "+886900000007",
    "sms_due_never": "+886900000008",
    "friend": "+886900000009",
    "no_privacy": "+886900000010",
    "sms_fails": "+886900000011",
}
FRIEND_UID = "U" + "f" * 32
OK_UID = "U" + "a" * 32


def make_world(receiver_url: str) -> dict:
    def user(key, consent="on", days=10, acts=None, channels=None, **extra):
        return {
            "phone": PHONES[key],
            "consent": consent,
            "sms_verified_days_ago": days,
            "acts_after_minutes": acts,
            "channels": channels or {},
            **extra,
        }

    return {
        "channels": [
            {
                "channel_id": "1000000001",
                "channel_secret": ACME_SECRET,
                "access_token": "token-acme",
                "webhook_url": f"{receiver_url}/webhooks/line/acme",
                "bot_user_id": BOT_ACME,
                "brand_slug": "acme",
            },
            {
                "channel_id": "1000000002",
                "channel_secret": GLOBEX_SECRET,
                "access_token": "token-globex",
                "brand_slug": "globex",
                # an unverified account: LINE refuses it the follower list (403); a month's target is set
                "followers_api": False,
                "message_quota": 500,
            },
        ],
        "users": [
            user("ok", uid=OK_UID, channels={"1000000001": {"friend": False, "blocked": False}}),
            user("off", consent="off"),
            user("blocked", channels={"1000000001": {"friend": True, "blocked": True}}),
            user("unset_acts", consent="unset", acts=30),
            user("unset_never", consent="unset"),
            user("unset_late", consent="unset", acts=2000),
            user("sms_due_acts", days=200, acts=60),
            user("sms_due_never", days=200),
            user(
                "friend",
                uid=FRIEND_UID,
                display_name="陳小明",
                channels={"1000000001": {"friend": True, "blocked": False}},
            ),
            user("no_privacy", privacy_policy=False),
            user("sms_fails", sms_status="FAILED"),
        ],
    }


@pytest.fixture(scope="session")
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def shared_sandbox(receiver, tmp_path_factory):
    process = SandboxProcess(
        [
            "--portal-url",
            receiver.url,
            "--webhook-batch",
            "1",
            "--webhook-flush",
            "0.01",
            "--webhook-retry-interval",
            "0.2",
            "--sms-report-delay",
            "1",
            "--seed",
            "3",
        ],
        tmp_path_factory.mktemp("sandbox"),
        make_world(receiver.url),
    )
    yield process
    process.stop()


@pytest.fixture
def sandbox(shared_sandbox, receiver):
    """The shared sandbox, reset to its start state, with an empty receiver."""
    shared_sandbox.admin("/sandbox/reset")
    time.sleep(0.02)
    receiver.clear()
    return shared_sandbox


@pytest.fixture
def start_sandbox(tmp_path, receiver):
    """Start a dedicated sandbox with extra command-line arguments."""
    started: list[SandboxProcess] = []

    def start(args: list[str], world: dict | None = None) -> SandboxProcess:
        process = SandboxProcess(["--portal-url", receiver.url, *args], tmp_path, world)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()

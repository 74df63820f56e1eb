"""Shared fixtures: brands, one user per role, API clients, a real Celery worker, the browser."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from portal.choices import Role
from portal.models import Brand
from portal.services import api_key_create, brand_create_or_update

# live_server runs the admin in a thread while sync Playwright drives it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BASE_DIR = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false")
PASSWORD = "correct-horse-battery-staple"


def require(available: bool, what: str) -> None:
    """Skip when a service is missing on a developer's machine; fail when CI requires it."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available (set REQUIRE_SERVICES=1 to make this a failure)")


def _is_postgres() -> bool:
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REQUIRE_SERVICES or _is_postgres():
        return  # REQUIRE_SERVICES without PostgreSQL fails each such test (pytest_runtest_setup)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _is_postgres():
        pytest.fail("PostgreSQL is required (REQUIRE_SERVICES=1) but DATABASE_URL is not a postgres:// URL")


def redis_available() -> bool:
    """Whether the Redis that REDIS_URL names answers (not a fixed host: CI may point elsewhere)."""
    url = str(getattr(settings, "REDIS_URL", "") or "")
    if not url:
        return False
    parsed = urlparse(url)
    return port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379)


# --- Records --------------------------------------------------------------------------------


def channel_id_for(slug: str) -> str:
    """A LINE channel id of the brand's own (LINE channel ids are unique across brands)."""
    return str(1650000000 + int(hashlib.sha256(slug.encode()).hexdigest(), 16) % 1_000_000)


@pytest.fixture
def make_brand(db: None) -> Callable[..., Brand]:
    def make(slug: str = "acme", **fields: object) -> Brand:
        brand, _ = brand_create_or_update(
            slug=slug,
            name=fields.pop("name", slug.title()),  # type: ignore[arg-type]
            channel_id=fields.pop("channel_id", channel_id_for(slug)),  # type: ignore[arg-type]
            channel_secret=fields.pop("channel_secret", f"{slug}-channel-secret"),  # type: ignore[arg-type]
            access_token=fields.pop("access_token", f"{slug}-access-token"),  # type: ignore[arg-type]
            actor="test",
            **fields,
        )
        return brand

    return make


@pytest.fixture
def brand(make_brand: Callable[..., Brand]) -> Brand:
    return make_brand("acme", name="Acme Shop")


@pytest.fixture
def other_brand(make_brand: Callable[..., Brand]) -> Brand:
    return make_brand("globex", name="Globex Telecom")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, role: str | None = None, *, superuser: bool = False) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True, is_superuser=superuser)
        if role is not None:
            user.groups.add(Group.objects.get(name=str(role)))
        return user

    return make


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user("reviewer", Role.COMPLIANCE_REVIEWER)


@pytest.fixture
def manager(make_user: Callable[..., User], brand: Brand) -> User:
    """An account manager assigned to ``brand`` only."""
    user = make_user("manager", Role.ACCOUNT_MANAGER)
    brand.account_managers.add(user)
    return user


@pytest.fixture
def other_manager(make_user: Callable[..., User], other_brand: Brand) -> User:
    user = make_user("manager2", Role.ACCOUNT_MANAGER)
    other_brand.account_managers.add(user)
    return user


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user("finance", Role.FINANCE)


@pytest.fixture
def superuser(make_user: Callable[..., User]) -> User:
    return make_user("root", superuser=True)


@pytest.fixture
def api_key_for() -> Callable[[Brand], str]:
    def make(brand: Brand) -> str:
        return api_key_create(brand=brand, name="tests", actor="test")[1]

    return make


@pytest.fixture
def api_client(brand: Brand, api_key_for: Callable[[Brand], str]) -> APIClient:
    """An API client authenticated with an API key of ``brand``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(brand)}")
    return client


# --- Services ---------------------------------------------------------------------------------


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_for_subprocess() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    from django.db import connection

    params = connection.settings_dict
    if params["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/{params['NAME']}"


def broker_available(url: str) -> bool:
    if url.startswith("filesystem://"):
        return True
    parsed = urlparse(url)
    return port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379)


class WorkerProcess:
    """A real ``celery worker`` subprocess bound to the test database and broker."""

    def __init__(self, env: dict[str, str], includes: list[str], beat: bool = False) -> None:
        self.env = env
        self.includes = includes
        self.beat = beat
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = BASE_DIR / "var" / "test-workers" / f"worker-{os.getpid()}-{time.time_ns()}.log"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ]
        for module in self.includes:
            command += ["--include", module]
        if self.beat:
            schedule = BASE_DIR / "var" / f"test-beat-{os.getpid()}-{time.time_ns()}"
            command += ["--beat", "--schedule", str(schedule)]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError("worker did not become ready in 30 s")

    def kill(self) -> None:
        """SIGKILL the worker and its pool, as a crashed machine would."""
        if self.process is not None and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_worker_factory(transactional_db: None) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes that share the test database and the configured broker."""
    broker_url = settings.CELERY_BROKER_URL
    require(broker_available(broker_url), f"Celery broker {broker_url}")
    workers: list[WorkerProcess] = []
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "CELERY_BROKER_URL": broker_url}
    if broker_url.startswith("filesystem://"):
        # The embedded broker's folders belong to this test run alone: neither a running
        # `make run` nor another test run in the same checkout can take its tasks.
        from celery import current_app

        root = BASE_DIR / "var" / "test-celery" / str(os.getpid())
        shutil.rmtree(root, ignore_errors=True)
        options = {
            "data_folder_in": root / "broker",
            "data_folder_out": root / "broker",
            "processed_folder": root / "processed",
            "control_folder": root / "control",
        }
        for folder in options.values():
            folder.mkdir(parents=True, exist_ok=True)
        current_app.conf.broker_transport_options = {
            **current_app.conf.broker_transport_options,
            **{k: str(v) for k, v in options.items()},
        }
        # Drop the connections already made to the default folders; the next publish reconnects.
        from kombu import pools

        pools.reset()
        current_app._pool = None
        current_app.amqp._producer_pool = None
        env["CELERY_FILESYSTEM_DIR"] = str(root)

    def start(
        includes: list[str] | None = None, extra_env: dict[str, str] | None = None, beat: bool = False
    ) -> WorkerProcess:
        worker = WorkerProcess({**env, **(extra_env or {})}, includes or [], beat=beat)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(
    condition: Callable[[], object],
    timeout: float = 30,
    interval: float = 0.1,
    describe: Callable[[], object] | None = None,
) -> object:
    """Poll until ``condition()`` is truthy; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s" + (f": {describe()}" if describe else ""))


# --- Browser ------------------------------------------------------------------------------------


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM} (make test installs it with apt-get)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-gpu",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1400, "height": 900}}

"""LINE's own SDK (line-bot-sdk, a test-only dependency) pointed at the sandbox.

The SDK's models are generated from LINE's OpenAPI spec, so an answer or a webhook of the sandbox that
parses into them has the shape LINE's clients expect. A test here that fails means the sandbox (and so
the portal's idea of LINE) has drifted from LINE's published API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import linebot.v3.messaging as linebot_messaging  # pinned in requirements/lock.txt: missing is a failure, not a skip
import pytest

from tests.sandbox.conftest import ACME_SECRET, Receiver, SandboxProcess, make_world

ACME_TOKEN = "token-acme"
GLOBEX_TOKEN = "token-globex"


@pytest.fixture(scope="session")
def sdk_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def sdk_sandbox(sdk_receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    process = SandboxProcess(
        ["--portal-url", sdk_receiver.url, "--webhook-batch", "1", "--webhook-flush", "0.01"],
        Path(tmp_path_factory.mktemp("sdk-sandbox")),
        make_world(sdk_receiver.url),
    )
    yield process
    process.stop()


@pytest.fixture
def sandbox(sdk_sandbox: SandboxProcess, sdk_receiver: Receiver) -> SandboxProcess:
    sdk_sandbox.admin("/sandbox/reset")
    sdk_receiver.clear()
    return sdk_sandbox


def messaging_api(url: str, token: str = ACME_TOKEN):  # -> linebot.v3.messaging.MessagingApi
    configuration = linebot_messaging.Configuration(host=url, access_token=token)
    return linebot_messaging.MessagingApi(linebot_messaging.ApiClient(configuration))


@pytest.fixture
def api(sandbox: SandboxProcess):
    return messaging_api(sandbox.url)


@pytest.fixture
def globex_api(sandbox: SandboxProcess):
    return messaging_api(sandbox.url, GLOBEX_TOKEN)


__all__ = ["ACME_SECRET"]

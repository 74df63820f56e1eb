"""The embedded broker (``filesystem://``): no message is lost or read half-written."""

import multiprocessing
import os
from pathlib import Path

import pytest
from kombu import Connection

from portal.broker import PARTIAL_SUFFIX, Transport

MESSAGES = 2000
PADDING = 20_000


def connection(root: Path) -> Connection:
    return Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(root / "broker"),
            "data_folder_out": str(root / "broker"),
            "processed_folder": str(root / "processed"),
            "store_processed": False,
        },
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "broker").mkdir()
    (tmp_path / "processed").mkdir()
    return tmp_path


def produce(root: Path, start: int, count: int) -> None:
    with connection(root) as conn:
        queue = conn.SimpleQueue("race")
        for number in range(start, start + count):
            queue.put({"n": number, "padding": "x" * PADDING})


def test_the_filesystem_url_uses_the_portal_transport(root: Path) -> None:
    with connection(root) as conn:
        assert isinstance(conn.transport, Transport)


def test_a_reader_racing_two_writers_gets_every_message_once_and_whole(root: Path) -> None:
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=produce, args=(root, 0, MESSAGES // 2)),
        context.Process(target=produce, args=(root, MESSAGES // 2, MESSAGES // 2)),
    ]
    for writer in writers:
        writer.start()
    seen: list[int] = []
    with connection(root) as conn:
        queue = conn.SimpleQueue("race")
        while len(seen) < MESSAGES:
            message = queue.get(timeout=20)
            assert message.payload["padding"] == "x" * PADDING
            seen.append(message.payload["n"])
            message.ack()
    for writer in writers:
        writer.join(10)
        assert writer.exitcode == 0
    assert sorted(seen) == list(range(MESSAGES))
    assert os.listdir(root / "broker") == []


def test_a_message_still_being_written_is_left_alone(root: Path) -> None:
    (root / "broker" / f"1_x.race.msg{PARTIAL_SUFFIX}").write_bytes(b'{"body": ')
    with connection(root) as conn:
        queue = conn.SimpleQueue("race")
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.3)
    assert (root / "broker" / f"1_x.race.msg{PARTIAL_SUFFIX}").exists()

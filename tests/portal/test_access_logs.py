"""No access log line the portal controls carries a full phone number or a query string."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from portal.logging import mask_text

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    '"GET /webhooks/sms/mitake/6f1c0f5e-4c1e-4b7a-9f6e-2d8c1a0b3c4d?msgid=0300000001&dstaddr=0912345678'
    '&StatusFlag=4 HTTP/1.1" 200 27'
)


def test_runserver_request_lines_lose_their_query_and_numbers() -> None:
    handler = logging.getLogger("django.server").handlers[0]
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s", (REPORT,), None)
    assert all(f.filter(record) for f in handler.filters)
    line = record.getMessage()
    assert "0912345678" not in line and "dstaddr" not in line
    assert line.startswith('"GET /webhooks/sms/mitake/6f1c0f5e-4c1e-4b7a-9f6e-2d8c1a0b3c4d?… HTTP/1.1"')


def test_gunicorn_access_lines_name_the_path_without_its_query() -> None:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])

    class Request:
        headers: list[tuple[str, str]] = []
        method, path, query, uri, version = "GET", "/webhooks/sms/mitake/ref", "dstaddr=0912345678", "", (1, 1)

    class Response:
        status, sent, headers = "200 OK", 27, []

    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/webhooks/sms/mitake/ref?dstaddr=0912345678",
        "PATH_INFO": "/webhooks/sms/mitake/ref",
        "QUERY_STRING": "dstaddr=0912345678",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://portal.example/admin/?q=0912345678",
    }
    atoms = Logger(config).atoms(Response(), Request(), environ, _Elapsed())
    line = settings["access_log_format"] % atoms
    assert "/webhooks/sms/mitake/ref" in line and "0912345678" not in line


class _Elapsed:
    seconds, microseconds = 0, 1500


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sent to 0912345678", "sent to 0912-***-678"),
        ("sent to +886912345678", "sent to +8869***678"),
        ("at 2026-12-01 21:06:48 done", "at 2026-12-01 21:06:48 done"),
    ],
)
def test_numbers_are_masked_in_logs_and_dates_are_not(text: str, masked: str) -> None:
    assert mask_text(text) == masked

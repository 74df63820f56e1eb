"""Check copy for advertising ahead of writing a template: one message per line, one JSON object per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.advertising import detect
from compliance.choices import UseCase
from compliance.selectors import advertising_lists
from portal.models import Brand


class Command(BaseCommand):
    help = (
        "Check each line of a UTF-8 file for advertising; print one JSON object per line: "
        '{"line", "verdict", "advertising", "findings"}. Blank lines are skipped.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="UTF-8 text file, one message per line")
        parser.add_argument("--brand", required=True, help="brand slug, e.g. demo-shop")
        parser.add_argument(
            "--use-case", choices=UseCase.values, help="the use case the copy is meant for (default: none)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not Brand.objects.filter(slug=options["brand"]).exists():
            raise CommandError(f"No brand with slug {options['brand']!r}; see the brands in the admin.")
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise CommandError(f"{path}: line {line} is not UTF-8 (byte {exc.start}); save the file as UTF-8.") from exc
        lists = advertising_lists()
        for number, message in enumerate(text.splitlines(), start=1):
            if not message.strip():
                continue
            verdict = detect(message, use_case=options["use_case"], lists=lists)
            row = {"line": number, **verdict.as_dict()}
            self.stdout.write(json.dumps(row, ensure_ascii=False))

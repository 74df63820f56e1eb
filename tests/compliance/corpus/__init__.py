"""The labelled copy the advertising detector is measured on, and the lists the migrations seed."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from compliance.advertising import BLOCK, REVIEW, Lists

HERE = Path(__file__).parent
# Parts the model is trained on, and parts it is not (each measured once when written, then the
# rules fixed on its misses; the tests hold every part to the same figures, and the trainer prints
# the model's own recall on these).
PARTS = ("part_a", "part_b", "part_c", "part_d", "part_e", "part_f")
HELD_OUT = ("part_g", "part_h", "part_i", "part_j", "part_k", "part_l")


@dataclass(frozen=True)
class Sample:
    part: str
    line: int
    promotional: bool
    category: str
    use_case: str | None
    text: str


def load(*parts: str) -> list[Sample]:
    """Read the labelled lines of the named parts (all by default)."""
    samples = []
    for part in parts or PARTS:
        for number, raw in enumerate((HERE / f"{part}.txt").read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip() or raw.startswith("#"):
                continue
            label, category, use_case, text = (piece.strip() for piece in raw.split(" | ", 3))
            assert label in ("promo", "trans"), (part, number, label)
            samples.append(
                Sample(part, number, label == "promo", category, None if use_case == "-" else use_case, text)
            )
    return samples


def seeded_lists() -> Lists:
    """The term list and allowed phrases exactly as the data migrations seed them."""
    terms_migration = importlib.import_module("compliance.migrations.0002_promotional_terms")
    lists_migration = importlib.import_module("compliance.migrations.0005_advertising_lists")
    phrases_migration = importlib.import_module("compliance.migrations.0007_factual_phrases")
    review = set(lists_migration.REVIEW_TERMS)
    terms = [(term.lower(), REVIEW if term.lower() in review else BLOCK) for term in terms_migration.INITIAL_TERMS]
    phrases = [*lists_migration.INITIAL_PHRASES, *phrases_migration.PHRASES]
    return Lists.of(terms, [phrase for phrase, _note in phrases])

"""A second opinion on copy the rules let pass: a linear model over character and word n-grams.

The rules in ``compliance.advertising`` name the offer they see and may block. Promotional copy
also comes in phrasings no rule lists ("心動了嗎？點連結下單", "kids eat at half the price"), and
a model trained on the labelled corpus (``tests/compliance/corpus/``) recognises much of it by
the company its words keep. The model never blocks: above its threshold it adds one
``ad.likely`` finding at review level, naming the sentence and the n-grams that weighed most,
so a reviewer confirms or overrules it like any other. Send-time values are not scored (a
variable holds a name or an amount, and a refused send has no reviewer).

The weights are a JSON file written by ``tools/train_advertising_model.py`` (scikit-learn's
logistic regression, a development dependency); here they are read and summed in plain Python,
so the portal does not load scikit-learn or NumPy at run time. The features are computed by
:func:`features` in both places, so training and scoring cannot drift apart.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "advertising_model.json"
# Below this many letters or CJK characters a text is a value (a name, an id), not copy.
MIN_LETTERS = 6

_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z'-]*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SENTENCE = re.compile(r"[^。！？!?\n；;.]+")


def _grams(text: str) -> list[str]:
    """Character 1–3-grams and word 1–2-grams of one normalised text, digits folded to 0."""
    text = _DIGITS.sub("0", text)
    grams = [f"c:{text[i : i + n]}" for n in (1, 2, 3) for i in range(len(text) - n + 1)]
    words = _WORD.findall(text)
    grams += [f"w:{word}" for word in words]
    grams += [f"w:{a} {b}" for a, b in itertools.pairwise(words)]
    return grams


def features(text: str) -> dict[str, float]:
    """Sublinear term counts of the n-grams, L2-normalised (the text is already normalised).

    The use case is no feature: in the corpus nearly every promotional line has none and every
    transactional one has one, so a model would learn the label's bookkeeping, not the copy.
    """
    counts = Counter(_grams(text))
    weights = {gram: 1.0 + math.log(count) for gram, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in weights.values())) or 1.0
    return {gram: value / norm for gram, value in weights.items()}


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    intercept: float
    threshold: float
    trained_on: tuple[str, ...]


@functools.cache
def model() -> Model:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return Model(data["weights"], data["intercept"], data["threshold"], tuple(data["trained_on"]))


@dataclass(frozen=True)
class Score:
    probability: float
    # The sentence that weighed most, as a span of the normalised text, and its strongest n-grams.
    start: int
    end: int
    words: tuple[str, ...]

    def above(self, threshold: float) -> bool:
        return self.probability >= threshold


# A template's {variables} and its links are not copy a member reads as written.
_NOT_COPY = re.compile(r"\{[^{}\n]*\}|https?://\S+|\bwww\.\S+")


def _blank(text: str) -> str:
    """``text`` with variables and links replaced by as many spaces (spans keep their place)."""
    return _NOT_COPY.sub(lambda match: " " * len(match.group()), text)


def _probability(current: Model, text: str) -> float:
    logit = current.intercept + sum(current.weights.get(gram, 0.0) * value for gram, value in features(text).items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


# A clause in English inside other copy: three or more words in a row.
_ENGLISH = re.compile(r"[a-z][a-z0-9'’-]*(?:[ ,:&$%/()-]+[a-z0-9$][a-z0-9'’.-]*){2,}")


def _segments(text: str) -> list[tuple[int, int]]:
    """The sentences of ``text``, an English clause inside a Chinese one taken apart from it.

    Templates in Taiwan often say everything twice, in Chinese and in English; each half is
    scored on its own, as the corpus has them.
    """
    spans: list[tuple[int, int]] = []
    for sentence in SENTENCE.finditer(text):
        chunk, offset = sentence.group(), sentence.start()
        english = list(_ENGLISH.finditer(chunk)) if _CJK_CHAR.search(chunk) else []
        rest = chunk
        for match in english:
            spans.append((offset + match.start(), offset + match.end()))
            rest = rest[: match.start()] + " " * (match.end() - match.start()) + rest[match.end() :]
        if not english:
            spans.append((offset, sentence.end()))
        elif len(_LETTER.findall(rest)) >= MIN_LETTERS:
            spans.append((offset + len(rest) - len(rest.lstrip()), offset + len(rest.rstrip())))
    return [(a, b) for a, b in spans if len(_LETTER.findall(text[a:b])) >= MIN_LETTERS]


def _shown(gram: str) -> bool:
    """Whether a reviewer can read the n-gram as words: an English word pair or word of four
    letters or more, or two or more CJK characters (a piece of an English word, "ef" or " th",
    means nothing on its own)."""
    kind, piece = gram[:2], gram[2:]
    if "0" in piece:
        return False
    if kind == "w:" and piece.isascii():
        return " " in piece or len(piece) >= 4  # a pair, or a word longer than "to" or "and"
    if kind == "w:":
        return len(piece) > 1
    return len(piece) > 1 and not any(char.isascii() for char in piece)


def score(text: str) -> Score | None:
    """The probability that the normalised ``text`` is advertising, or None for a bare value.

    A text of one sentence is scored whole; a longer one sentence by sentence (an English clause
    beside a Chinese one on its own), and the highest counts: an offer appended to a notice is
    an offer, however factual the sentence before it. Variables and links, and the words the
    rules saw in a legitimate context, are blanked out first, so they weigh nothing.
    """
    text = _blank(text)
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return None
    current = model()
    segments = _segments(text)
    if len(segments) <= 1:
        best = (_probability(current, text), 0, len(text))
    else:
        best = max(((_probability(current, text[a:b]), a, b) for a, b in segments), key=lambda item: item[0])
    probability, start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    chunk = _DIGITS.sub("0", text[start:end])
    strongest = sorted(
        {gram for gram in _grams(chunk) if _shown(gram) and current.weights.get(gram, 0.0) > 0},
        key=lambda gram: -current.weights[gram],
    )
    return Score(probability, start, end, tuple(gram[2:] for gram in strongest[:3]))

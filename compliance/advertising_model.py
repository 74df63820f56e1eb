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


def _probability(current: Model, text: str) -> float:
    logit = current.intercept + sum(current.weights.get(gram, 0.0) * value for gram, value in features(text).items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def score(text: str) -> Score | None:
    """The probability that the normalised ``text`` is advertising, or None for a bare value.

    The text is scored whole and sentence by sentence, and the highest counts: an offer appended
    to a notice is an offer, however factual the sentence before it. Words the rules saw in a
    legitimate context arrive blanked out (spaces), so they weigh nothing.
    """
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return None
    current = model()
    best = (_probability(current, text), 0, len(text))
    sentences = [m for m in SENTENCE.finditer(text) if len(_LETTER.findall(m.group())) >= MIN_LETTERS]
    if len(sentences) > 1:
        for sentence in sentences:
            probability = _probability(current, sentence.group())
            if probability > best[0]:
                best = (probability, sentence.start(), sentence.end())
    probability, start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    chunk = _DIGITS.sub("0", text[start:end])
    strongest = sorted(
        {gram for gram in _grams(chunk) if current.weights.get(gram, 0.0) > 0 and len(gram) > 3 and "0" not in gram},
        key=lambda gram: -current.weights[gram],
    )
    return Score(probability, start, end, tuple(gram[2:] for gram in strongest[:3]))

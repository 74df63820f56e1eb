"""Train the advertising model on the labelled corpus and write its weights.

    .venv/bin/python tools/train_advertising_model.py           # writes compliance/data/advertising_model.json
    .venv/bin/python tools/train_advertising_model.py --check   # exit 1 if the file is not what training gives

Scikit-learn's logistic regression (a development dependency) fits the weights of the features
``compliance.advertising_model.features`` computes on the normalised copy of the training parts;
the held-out parts are scored, never trained on, and their recall and transactional flags printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from compliance.advertising import normalise  # noqa: E402
from compliance.advertising_model import MODEL_PATH, SENTENCE, features  # noqa: E402
from tests.compliance.corpus import HELD_OUT, PARTS, load  # noqa: E402

# Regularisation (inverse strength) and the probability at which a text is flagged for review.
C = 10.0
THRESHOLD = 0.5
CLAUSE = re.compile(r"[，,、。！？!?；;：:\n]|\.\s")


def train(c: float = C, threshold: float = THRESHOLD) -> dict[str, Any]:
    samples = load(*PARTS)
    texts = [normalise(s.text).text for s in samples]
    labels = [s.promotional for s in samples]
    # Each sentence and clause of a transactional notice is itself no advertising (the model
    # scores sentences too). Promotional lines are shorter than notices, so without these a model
    # would learn that short means promotional and flag a bare "感謝您的購買".
    clauses = sorted(
        {
            clause.strip()
            for text, label in zip(texts, labels, strict=True)
            if not label
            for clause in [*CLAUSE.split(text), *SENTENCE.findall(text)]
            if len(clause.strip()) >= 4 and clause.strip() != text.strip()
        }
    )
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([features(text) for text in [*texts, *clauses]])
    # Unweighted: with the clauses the classes are about 1 : 3, as copy sent for review is mostly
    # notices; weighting the offers up made every bilingual notice a candidate.
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit(matrix, [*labels, *([False] * len(clauses))])
    names = vectoriser.get_feature_names_out()
    pairs = zip(names, classifier.coef_[0], strict=True)
    weights = {str(name): round(float(w), 5) for name, w in pairs if abs(w) >= 1e-4}
    return {
        "trained_on": list(PARTS),
        "samples": len(samples),
        "C": c,
        "threshold": threshold,
        "intercept": round(float(classifier.intercept_[0]), 5),
        "weights": dict(sorted(weights.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file instead of writing it")
    args = parser.parse_args()
    data = train()
    text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
    if args.check:
        if MODEL_PATH.read_text(encoding="utf-8") != text:
            print(f"{MODEL_PATH} is not what training on {', '.join(PARTS)} gives: run this script", file=sys.stderr)
            return 1
        print(f"{MODEL_PATH} matches the corpus")
        return 0
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"{len(data['weights'])} weights from {data['samples']} messages written to {MODEL_PATH}")
    from compliance.advertising_model import model, score

    model.cache_clear()
    for part in HELD_OUT:
        held = load(part)
        flagged = [(s, (score(normalise(s.text).text) or None)) for s in held]
        promo = [s for s, sc in flagged if s.promotional]
        hits = sum(1 for s, sc in flagged if s.promotional and sc and sc.above(THRESHOLD))
        false = sum(1 for s, sc in flagged if not s.promotional and sc and sc.above(THRESHOLD))
        print(f"held-out {part}: model alone recall {hits / len(promo):.3f}, "
              f"transactional flagged {false}/{len(held) - len(promo)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

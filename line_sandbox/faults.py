"""Fault rules injected into the sandbox's endpoints, from a SPEC string or JSON.

SPEC: comma-separated rules `ENDPOINT:KIND=SHARE[@SECONDS]` or `ENDPOINT:KIND:next=N[@SECONDS]`, e.g.
`pnp:429=0.1,pnp:429=0.05@2s,pnp:500:next=3,pnp:slow=0.05@15s,pnp:drop=0.02,pnp:accept_timeout=0.01@15s,sms:500=0.1`.

`500` answers 500 *without accepting* the request; `accept_500` accepts it (records, delivers and sends the
delivery webhook) and *then* answers 500: the case where a resent PNP notifies the member twice.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

ENDPOINTS = (
    "pnp",
    "templated",
    "push",
    "reply",
    "count",
    "templated_count",
    "followers",
    "profile",
    "quota",
    "sms",
    "*",
)
KINDS = ("429", "500", "slow", "drop", "accept_timeout", "accept_500", "fail")
# Seconds used when a rule that needs a duration gives none.
DEFAULT_SECONDS = {"slow": 30.0, "accept_timeout": 30.0}

_RULE = re.compile(
    r"^(?P<endpoint>[a-z*]+):(?P<kind>[a-z0-9_]+)(?P<next>:next)?=(?P<value>[0-9.]+)(?:@(?P<seconds>[0-9.]+)s?)?$"
)


class SeededRandom(random.Random):
    """Repeatable pseudo-randomness for the simulation (never used for secrets)."""


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    endpoint: str
    kind: str
    share: float | None = None
    next: int | None = None
    seconds: float | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        if self.endpoint not in ENDPOINTS:
            raise FaultSpecError(f"unknown endpoint {self.endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "fail" and self.endpoint != "sms":
            raise FaultSpecError("the 'fail' kind (accepted, then undelivered) applies to the sms endpoint only")
        if (self.share is None) == (self.next is None):
            raise FaultSpecError("a rule needs exactly one of share and next")
        if self.share is not None and not 0.0 <= self.share <= 1.0:
            raise FaultSpecError(f"share must be between 0 and 1, got {self.share}")
        if self.seconds is None and self.kind in DEFAULT_SECONDS:
            self.seconds = DEFAULT_SECONDS[self.kind]

    def as_dict(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "kind": self.kind,
            "share": self.share,
            "next": self.next,
            "seconds": self.seconds,
            "fired": self.fired,
        }


def parse_spec(spec: str) -> list[FaultRule]:
    """Parse a SPEC string into rules; raise FaultSpecError naming the bad part."""
    rules = []
    for part in (p.strip() for p in (spec or "").split(",")):
        if not part:
            continue
        match = _RULE.match(part)
        if match is None:
            raise FaultSpecError(f"cannot parse fault rule {part!r} (expected e.g. pnp:429=0.1 or pnp:500:next=3)")
        value = match["value"]
        seconds = float(match["seconds"]) if match["seconds"] else None
        try:
            if match["next"]:
                rules.append(FaultRule(match["endpoint"], match["kind"], next=int(value), seconds=seconds))
            else:
                rules.append(FaultRule(match["endpoint"], match["kind"], share=float(value), seconds=seconds))
        except ValueError as exc:
            raise FaultSpecError(f"bad value in fault rule {part!r}: {exc}") from exc
    return rules


def parse_json(data: dict) -> list[FaultRule]:
    """Parse `{"spec": "..."}` and/or `{"rules": [{"endpoint", "kind", "share"|"next", "seconds"}]}`."""
    rules = parse_spec(data.get("spec", ""))
    for item in data.get("rules", []):
        try:
            rules.append(
                FaultRule(
                    endpoint=str(item["endpoint"]),
                    kind=str(item["kind"]),
                    share=None if item.get("share") is None else float(item["share"]),
                    next=None if item.get("next") is None else int(item["next"]),
                    seconds=None if item.get("seconds") is None else float(item["seconds"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FaultSpecError(f"bad fault rule {item!r}: {exc}") from exc
    return rules


@dataclass
class FaultSet:
    """The active rules; `pick(endpoint)` decides, with seeded randomness, which fault (if any) hits a request."""

    seed: int | None = None
    rules: list[FaultRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = SeededRandom(self.seed)
        self._index: dict[str, list[FaultRule]] = {}
        self._reindex()

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        self.rules = list(rules)
        if seed is not None:
            self.seed = seed
            self.rng = SeededRandom(seed)
        self._reindex()

    def add(self, rules: list[FaultRule]) -> None:
        self.rules.extend(rules)
        self._reindex()

    def _reindex(self) -> None:
        self._index = {}
        for endpoint in ENDPOINTS:
            matching = [r for r in self.rules if r.endpoint in (endpoint, "*")]
            if matching:
                self._index[endpoint] = matching

    @property
    def active(self) -> bool:
        return bool(self._index)

    def pick(self, endpoint: str, kinds: tuple[str, ...] | None = None) -> FaultRule | None:
        rules = self._index.get(endpoint)
        if not rules:
            return None
        for rule in rules:
            if rule.next is not None and rule.next > 0 and (kinds is None or rule.kind in kinds):
                rule.next -= 1
                rule.fired += 1
                return rule
        shares = [r for r in rules if r.share and (kinds is None or r.kind in kinds)]
        if not shares:
            return None
        draw = self.rng.random()
        total = 0.0
        for rule in shares:
            total += rule.share or 0.0
            if draw < total:
                rule.fired += 1
                return rule
        return None

    def as_dict(self) -> dict:
        return {"seed": self.seed, "rules": [r.as_dict() for r in self.rules]}

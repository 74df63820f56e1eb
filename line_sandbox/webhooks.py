"""Signed webhook sender: a queue drained by a background task through one pooled client session.

Batches events per channel, and on demand duplicates, reorders and redelivers them the way
LINE's documentation says the portal must be ready for.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

import aiohttp

from .faults import SeededRandom
from .world import Channel


def sign(secret: str, body: bytes) -> str:
    """Return LINE's x-line-signature: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def dumps(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class WebhookConfig:
    batch_size: int = 10  # events per request, at most
    flush_interval: float = 0.1  # wall seconds to wait for more events before sending a partial batch
    duplicate_share: float = 0.0  # share of events sent a second time (same webhookEventId)
    reorder_share: float = 0.0  # share of requests held back so later ones overtake them; batches are shuffled
    reorder_delay: float = 0.3  # wall seconds a held-back request waits
    retries: int = 3  # redeliveries after a non-2xx answer or a connection error (0 = redelivery off)
    retry_interval: float = 1.0  # wall seconds between redeliveries
    timeout: float = 5.0  # wall seconds before the sandbox gives up on one webhook request
    concurrency: int = 32  # requests in flight at once

    def update(self, data: dict) -> None:
        for key, value in data.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown webhook setting {key!r}")
            setattr(self, key, type(getattr(self, key))(value))

    def as_dict(self) -> dict:
        return asdict(self)


# One webhook attempt: (wall time, channel_id, url, event count, first event id, is_redelivery, http status or 0, error)
Attempt = tuple


class WebhookSender:
    def __init__(self, config: WebhookConfig, seed: int | None = None, max_attempts: int = 2_000_000) -> None:
        self.config = config
        self.rng = SeededRandom(seed)
        self.max_attempts = max_attempts
        self.attempts: list[Attempt] = []
        self.attempts_dropped = 0
        self.status_counts: dict[str, int] = defaultdict(int)
        self.session: aiohttp.ClientSession | None = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.in_flight = 0
        self.holding = 0  # events taken off the queue into a batch not yet sent
        self.generation = 0  # bumped on reset so stale retries stop
        self._task: asyncio.Task | None = None
        self._sem: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=max(64, self.config.concurrency * 2))
        self.session = aiohttp.ClientSession(connector=connector)
        self._sem = asyncio.Semaphore(self.config.concurrency)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self.session:
            await self.session.close()

    def reset(self) -> None:
        self.generation += 1
        while not self.queue.empty():
            self.queue.get_nowait()
        self.attempts = []
        self.attempts_dropped = 0
        self.status_counts.clear()

    @property
    def pending(self) -> int:
        return self.queue.qsize() + self.holding + self.in_flight

    def enqueue(self, channel: Channel, event: dict) -> None:
        self.queue.put_nowait((channel, event))

    def spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def record(self, attempt: Attempt) -> None:
        if len(self.attempts) < self.max_attempts:
            self.attempts.append(attempt)
        else:
            self.attempts_dropped += 1
        status = attempt[6]
        self.status_counts[str(status) if status else "error"] += 1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self.queue.get()
            buffered = [first]
            cfg = self.config
            limit = 5000
            while len(buffered) < limit and not self.queue.empty():
                buffered.append(self.queue.get_nowait())
            self.holding = len(buffered)  # taken off the queue, not yet sent: still pending
            if cfg.batch_size > 1 and len(buffered) < cfg.batch_size:
                deadline = loop.time() + cfg.flush_interval
                while len(buffered) < cfg.batch_size:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        buffered.append(await asyncio.wait_for(self.queue.get(), remaining))
                    except TimeoutError:
                        break
                    while len(buffered) < limit and not self.queue.empty():
                        buffered.append(self.queue.get_nowait())
                    self.holding = len(buffered)
            by_channel: dict[str, tuple[Channel, list[dict]]] = {}
            for channel, event in buffered:
                by_channel.setdefault(channel.channel_id, (channel, []))[1].append(event)
            size = max(1, cfg.batch_size)
            for channel, events in by_channel.values():
                for start in range(0, len(events), size):
                    self._dispatch(channel, events[start : start + size])
            self.holding = 0

    def _dispatch(self, channel: Channel, events: list[dict]) -> None:
        cfg = self.config
        generation = self.generation
        if cfg.reorder_share > 0 and len(events) > 1:
            self.rng.shuffle(events)
        delay = cfg.reorder_delay if cfg.reorder_share > 0 and self.rng.random() < cfg.reorder_share else 0.0
        self.in_flight += 1
        self.spawn(self._deliver(channel, events, delay, generation))
        if cfg.duplicate_share > 0:
            for event in events:
                if self.rng.random() < cfg.duplicate_share:
                    self.in_flight += 1
                    self.spawn(self._deliver(channel, [event], delay + self.rng.uniform(0.05, 0.3), generation))

    async def _deliver(self, channel: Channel, events: list[dict], delay: float, generation: int) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            attempt = 0
            while generation == self.generation:
                ok = await self._post(channel, events, redelivery=attempt > 0)
                if ok or attempt >= self.config.retries or generation != self.generation:
                    return
                attempt += 1
                await asyncio.sleep(self.config.retry_interval)
        finally:
            self.in_flight -= 1

    async def _post(self, channel: Channel, events: list[dict], redelivery: bool) -> bool:
        if redelivery:
            events = [{**e, "deliveryContext": {"isRedelivery": True}} for e in events]
        body = dumps({"destination": channel.bot_user_id, "events": events})
        url = channel.webhook_url
        first_id = events[0].get("webhookEventId") if events else None
        if not url:
            self.record((time.time(), channel.channel_id, None, len(events), first_id, redelivery, 0, "no webhook_url"))
            return True  # nothing to retry against
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-line-signature": sign(channel.channel_secret, body),
            "User-Agent": "LineBotWebhook/2.0",
        }
        status, error = 0, None
        assert self.session is not None and self._sem is not None
        async with self._sem:
            try:
                timeout = aiohttp.ClientTimeout(total=self.config.timeout)
                async with self.session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                    await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:200]
        self.record((time.time(), channel.channel_id, url, len(events), first_id, redelivery, status, error))
        return 200 <= status < 300


class CallbackPoster:
    """Send SMS delivery reports (JSON POST or Mitake-style GET) with retries, through the sender's session."""

    def __init__(self, sender: WebhookSender) -> None:
        self.sender = sender

    def send(
        self,
        *,
        method: str,
        url: str,
        label: str,
        body: bytes | None = None,
        headers: dict | None = None,
        accept: Callable[[int, bytes], bool] | None = None,
    ) -> None:
        self.sender.in_flight += 1
        self.sender.spawn(self._send(method, url, label, body, headers or {}, accept, self.sender.generation))

    async def _send(self, method, url, label, body, headers, accept, generation) -> None:
        sender = self.sender
        try:
            attempt = 0
            while generation == sender.generation:
                status, error, content = 0, None, b""
                assert sender.session is not None
                try:
                    timeout = aiohttp.ClientTimeout(total=sender.config.timeout)
                    async with sender.session.request(method, url, data=body, headers=headers, timeout=timeout) as r:
                        content = await r.read()
                        status = r.status
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    error = f"{type(exc).__name__}: {exc}"[:200]
                sender.record((time.time(), label, url, 1, None, attempt > 0, status, error))
                ok = accept(status, content) if accept else 200 <= status < 300
                if ok or attempt >= sender.config.retries:
                    return
                attempt += 1
                await asyncio.sleep(sender.config.retry_interval)
        finally:
            sender.in_flight -= 1

"""The sandbox's aiohttp application: LINE's PNP and Messaging API endpoints plus admin routes."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import re
import time
import uuid
from array import array
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date

from aiohttp import web
from ulid import ULID

from . import faults as faults_mod
from .clock import JST_OFFSET, SimClock, jst_day_index, jst_day_string, parse_time
from .faults import FaultSet, FaultSpecError
from .webhooks import CallbackPoster, WebhookConfig, WebhookSender, dumps
from .world import Channel, User, WorldError, build_world, load_world_file, user_from_dict

log = logging.getLogger("line_sandbox")

MAX_BODY = 2 * 1024 * 1024
INBOX_SIZE = 200  # messages kept per user for the phone view
PNP_WINDOW = 86400  # a PNP waiting for the user's consent or SMS verification is deleted after 24 h
REPLY_TOKEN_TTL = 60
RETRY_KEY_TTL = 86400
OUT_OF_SERVICE_BEFORE = date(2018, 3, 31)
EPOCH = date(1970, 1, 1)
TRANSPORT_FAULTS = ("429", "500", "slow", "drop", "accept_timeout", "accept_500")
# Endpoints that accept something (a message) before they answer: `accept_500` processes the request there,
# then answers 500; elsewhere it is a plain 500.
ACCEPTING_ENDPOINTS = ("pnp", "templated", "push", "reply")
TEMPLATE_ITEMS_MAX = 15
TEMPLATE_ITEM_CHARS = 300
TEMPLATE_EMPHASIZED_CHARS = 15
TEMPLATE_BUTTONS_MAX = 2
TEMPLATE_URL_CHARS = 1000
AGGREGATION_UNIT = re.compile(r"[A-Za-z0-9_]{1,30}")
FORBIDDEN_PNP_TYPES = {"image", "video", "audio"}
MESSAGE_TYPES = {"text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}
HEX64 = re.compile(r"[0-9a-f]{64}")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ISO_DATE = re.compile(r"[0-9]{8}")

# Outcome codes kept per record in a compact array.
(
    RECEIVED,
    DELIVERED,
    PENDING,
    EXPIRED,
    BLOCKED,
    NO_USER,
    CONSENT_OFF,
    REJECTED,
    FAULT,
    DROPPED,
    ABANDONED,
    SENT,
    FAILED,
    NO_PRIVACY,
) = range(14)
OUTCOMES = (
    "received",
    "delivered",
    "pending_user_action",
    "expired",
    "blocked",
    "no_user",
    "consent_off",
    "rejected",
    "fault",
    "connection_dropped",
    "abandoned",
    "sent",
    "failed",
    "no_privacy_consent",
)

JSON_TYPE = "application/json"
B_EMPTY = b"{}"
B_UNAUTHORIZED = dumps(
    {
        "message": "Authentication failed due to the following reason: invalid token. "
        "Confirm that the access token in the authorization header is valid."
    }
)
B_RATE_LIMITED = dumps({"message": "The API rate limit has been exceeded. Try again later."})
B_INTERNAL = dumps({"message": "An internal error occurred in the sandbox (injected fault)."})
B_FAILED = dumps({"message": "Failed to send messages"})
B_TOO_LARGE = dumps({"message": "The request entity is too large (over 2 MB)."})
B_BAD_DATE = dumps({"message": "The value for the 'date' parameter is invalid"})


def json_response(body: bytes, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON_TYPE, headers=headers)


def body_errors(details: list[dict]) -> bytes:
    return dumps({"message": f"The request body has {len(details)} error(s)", "details": details})


def validate_messages(messages: object, *, pnp: bool) -> list[dict]:
    """Return LINE-style error details for a `messages` array (empty list when valid)."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return [{"message": "Size must be between 1 and 5", "property": "messages"}]
    errors = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            errors.append({"message": "Must be a message object with a type", "property": f"messages[{i}]"})
            continue
        kind = msg["type"]
        if kind not in MESSAGE_TYPES:
            errors.append(
                {
                    "message": "Must be one of the following values: [text, image, video, audio, location, "
                    "sticker, template, imagemap, flex]",
                    "property": f"messages[{i}].type",
                }
            )
        elif pnp and kind in FORBIDDEN_PNP_TYPES:
            errors.append(
                {
                    "message": "This message type is not allowed in notification messages",
                    "property": f"messages[{i}].type",
                }
            )
        elif kind in ("text", "textV2"):
            text = msg.get("text")
            if not isinstance(text, str) or not text:
                errors.append({"message": "May not be empty", "property": f"messages[{i}].text"})
            elif len(text) > 5000:
                errors.append({"message": "Length must be between 0 and 5000", "property": f"messages[{i}].text"})
    return errors


def _length_error(value: object, maximum: int, prop: str) -> dict | None:
    if not isinstance(value, str):
        return {"message": "Must be a string", "property": prop}
    if len(value) > maximum:
        return {"message": f"Length must be between 0 and {maximum}", "property": prop}
    return None


def validate_template(body: dict) -> list[dict]:
    """Return LINE-style error details for a template PNP body (LINE's reference, "Send a template message").

    `templateKey` is required; `body.emphasizedItem.content` ≤15 characters; 0–15 `body.items`, each
    `content` ≤300 characters; item keys unique across the emphasized item and the items; 0–2 `body.buttons`
    with unique keys and a `url` ≤1,000 characters. The catalogue of keys is LINE's and per country: the
    sandbox accepts any non-empty key.
    """
    errors: list[dict] = []
    key = body.get("templateKey")
    if not isinstance(key, str) or not key:
        errors.append({"message": "May not be empty", "property": "templateKey"})
    units = body.get("customAggregationUnits")
    if units is not None and (
        not isinstance(units, list)
        or len(units) > 1
        or not all(isinstance(u, str) and AGGREGATION_UNIT.fullmatch(u) for u in units)
    ):
        errors.append({"message": "Invalid unit name", "property": "customAggregationUnits"})
    content = body.get("body")
    if content is None:
        return errors
    if not isinstance(content, dict):
        return [*errors, {"message": "Must be an object", "property": "body"}]
    seen_items: set[str] = set()

    def item_errors(item: object, prop: str, maximum: int) -> None:
        if not isinstance(item, dict):
            errors.append({"message": "Must be an object", "property": prop})
            return
        item_key = item.get("itemKey")
        if not isinstance(item_key, str) or not item_key:
            errors.append({"message": "May not be empty", "property": f"{prop}.itemKey"})
        elif item_key in seen_items:
            errors.append({"message": "The same item key may not be used twice", "property": f"{prop}.itemKey"})
        else:
            seen_items.add(item_key)
        error = _length_error(item.get("content"), maximum, f"{prop}.content")
        if error:
            errors.append(error)

    if content.get("emphasizedItem") is not None:
        item_errors(content["emphasizedItem"], "body.emphasizedItem", TEMPLATE_EMPHASIZED_CHARS)
    items = content.get("items")
    if items is not None:
        if not isinstance(items, list) or len(items) > TEMPLATE_ITEMS_MAX:
            errors.append({"message": f"Size must be between 0 and {TEMPLATE_ITEMS_MAX}", "property": "body.items"})
        else:
            for i, item in enumerate(items):
                item_errors(item, f"body.items[{i}]", TEMPLATE_ITEM_CHARS)
    buttons = content.get("buttons")
    if buttons is not None:
        if not isinstance(buttons, list) or len(buttons) > TEMPLATE_BUTTONS_MAX:
            errors.append({"message": f"Size must be between 0 and {TEMPLATE_BUTTONS_MAX}", "property": "body.buttons"})
        else:
            seen_buttons: set[str] = set()
            for i, button in enumerate(buttons):
                prop = f"body.buttons[{i}]"
                if not isinstance(button, dict):
                    errors.append({"message": "Must be an object", "property": prop})
                    continue
                button_key = button.get("buttonKey")
                if not isinstance(button_key, str) or not button_key:
                    errors.append({"message": "May not be empty", "property": f"{prop}.buttonKey"})
                elif button_key in seen_buttons:
                    errors.append(
                        {"message": "The same button key may not be used twice", "property": f"{prop}.buttonKey"}
                    )
                else:
                    seen_buttons.add(button_key)
                url = button.get("url")
                if isinstance(url, str) and not url:
                    errors.append({"message": "May not be empty", "property": f"{prop}.url"})
                else:
                    error = _length_error(url, TEMPLATE_URL_CHARS, f"{prop}.url")
                    if error:
                        errors.append(error)
    return errors


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 8090
    world: str | None = None
    generate: int | None = None
    seed: int = 1
    time_factor: float = 1.0
    start_time: str | None = None
    faults: str = ""
    portal_url: str = "http://127.0.0.1:8000"
    sms_callback_url: str | None = None
    sms_report_delay: float = 2.0
    sms_api_key: str = "sandbox-sms-key"
    mitake_username: str = "sandbox"
    mitake_password: str = "sandbox"
    rate_limit: int = 2000
    channels: list[str] = field(default_factory=list)
    webhook: dict = field(default_factory=dict)
    max_records: int = 2_000_000
    world_data: dict | None = None  # an already parsed world (tests, embedding)
    # Keep what each user received for the phone view (/sandbox/phone/…) and open LIFF links at
    # liff_endpoint; off by default so benchmarks with a million users keep no message bodies.
    phone_view: bool = False
    liff_endpoint: str | None = None  # default {portal}/demo/bind/


class Sandbox:
    """All mutable state of one sandbox run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._world_data = options.world_data
        if self._world_data is None and options.world:
            self._world_data = load_world_file(options.world)
        self.initial_faults = faults_mod.parse_spec(options.faults)
        self.webhook_config = WebhookConfig()
        self.webhook_config.update(options.webhook)
        self.sender = WebhookSender(self.webhook_config, seed=options.seed, max_attempts=options.max_records)
        self.callbacks = CallbackPoster(self.sender)
        self.sms_callback_url = options.sms_callback_url or f"{options.portal_url.rstrip('/')}/webhooks/sms/sandbox"
        self._ticker_task: asyncio.Task | None = None
        from .sms import SmsGateway  # local import: sms uses this module's constants

        self.sms = SmsGateway(self)
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Go back to the start state: world, clock, faults, settings, records."""
        opts = self.options
        start = parse_time(opts.start_time) if opts.start_time else None
        self.clock = SimClock(opts.time_factor, start)
        self.world = build_world(
            data=self._world_data,
            generate=opts.generate,
            seed=opts.seed,
            now=self.clock.now(),
            portal_url=opts.portal_url,
            channel_slugs=opts.channels,
        )
        self.faults = FaultSet(
            seed=opts.seed,
            rules=[
                faults_mod.FaultRule(**{k: v for k, v in r.as_dict().items() if k != "fired"})
                for r in self.initial_faults
            ],
        )
        self.rate_limit = opts.rate_limit
        self.webhook_config.update({**WebhookConfig().as_dict(), **opts.webhook})
        self.sender.reset()
        self.records: list[tuple] = []
        # What each user's phone shows (the phone view): the latest messages per user uid.
        self.inbox: defaultdict[str, deque[dict]] = defaultdict(lambda: deque(maxlen=INBOX_SIZE))
        self.states = array("b")
        self.delivered_at = array("d")
        self.records_dropped = 0
        self.outcome_counts: dict[tuple[str, int], int] = defaultdict(int)
        # channel_id -> delivery.data -> times delivered; nested to keep a million keys small
        self.delivery_counts: dict[str, dict[str, int]] = defaultdict(dict)
        self.duplicate_keys = 0
        # (channel_id, JST day index of the day *sent*) -> PNP delivered; template PNP counted apart
        self.daily_counts: dict[tuple[str, int], int] = defaultdict(int)
        self.templated_daily_counts: dict[tuple[str, int], int] = defaultdict(int)
        # (channel_id, JST "yyyyMM") -> push messages sent: the quota consumption
        self.push_month_counts: dict[tuple[str, str], int] = defaultdict(int)
        self.heap: list = []
        self._seq = itertools.count()
        self.rates: dict[tuple[str, str], list[int]] = {}
        self.rate_max: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.retry_keys: dict[tuple[str, str], tuple[float, str, list]] = {}
        self.reply_tokens: dict[str, tuple[str, str, float]] = {}
        self._message_ids = itertools.count(600000000000000000)
        self.sms.reset()

    async def start(self, app: web.Application) -> None:
        await self.sender.start()
        self._ticker_task = asyncio.create_task(self._ticker())

    async def stop(self, app: web.Application) -> None:
        if self._ticker_task:
            self._ticker_task.cancel()
        await self.sender.stop()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            try:
                self.process_due()
            except Exception:  # keep ticking whatever one scheduled action did
                log.exception("scheduled action failed")

    # -- scheduling --------------------------------------------------------------------------------

    def schedule(self, due: float, action, arg) -> None:
        heapq.heappush(self.heap, (due, next(self._seq), action, arg))

    def process_due(self) -> int:
        now = self.clock.now()
        heap = self.heap
        fired = 0
        while heap and heap[0][0] <= now:
            due, _, action, arg = heapq.heappop(heap)
            action(arg, due)
            fired += 1
        return fired

    # -- records -----------------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        channel_id: str | None,
        to: str | bytes | None,
        tag: str | None,
        status: int,
        state: int,
        t: float | None = None,
    ) -> int:
        self.outcome_counts[(kind, state)] += 1
        if len(self.records) >= self.options.max_records:
            self.records_dropped += 1
            return -1
        self.records.append((self.clock.now() if t is None else t, kind, channel_id, to, tag, status))
        self.states.append(state)
        self.delivered_at.append(0.0)
        return len(self.records) - 1

    def set_state(self, seq: int, kind: str, old: int, new: int) -> None:
        self.outcome_counts[(kind, old)] -= 1
        self.outcome_counts[(kind, new)] += 1
        if seq >= 0:
            self.states[seq] = new

    # -- auth, rate limit, faults ------------------------------------------------------------------

    def channel_for(self, request: web.Request) -> Channel | None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return self.world.channels_by_token.get(auth[7:].strip())

    def rate_ok(self, channel_id: str, endpoint: str) -> bool:
        """Count the request in its wall-clock second; False when over the per-channel, per-endpoint limit."""
        second = int(time.time())
        key = (channel_id, endpoint)
        slot = self.rates.get(key)
        if slot is None or slot[0] != second:
            if slot is not None:
                self._fold_rate(key, slot)
            slot = self.rates[key] = [second, 0, 0]
        slot[1] += 1
        if slot[1] > self.rate_limit:
            return False
        slot[2] += 1
        return True

    def _fold_rate(self, key, slot) -> None:
        best = self.rate_max[key]
        best[0] = max(best[0], slot[1])
        best[1] = max(best[1], slot[2])

    def rate_summary(self) -> dict:
        out: dict[str, dict] = {}
        keys = set(self.rate_max) | set(self.rates)
        for key in sorted(keys):
            best = list(self.rate_max.get(key, [0, 0]))
            slot = self.rates.get(key)
            if slot is not None:
                best = [max(best[0], slot[1]), max(best[1], slot[2])]
            out.setdefault(key[0], {})[key[1]] = {"max_rps": best[0], "max_accepted_rps": best[1]}
        return {"limit": self.rate_limit, "channels": out}

    def pick_fault(self, endpoint: str):
        return self.faults.pick(endpoint, TRANSPORT_FAULTS) if self.faults.active else None

    async def apply_faults(self, request: web.Request, endpoint: str):
        """Return (early response or None, accept_timeout rule or None) for the fault picked for this request."""
        rule = self.pick_fault(endpoint)
        if rule is None:
            return None, None
        if rule.kind == "accept_timeout" or (rule.kind == "accept_500" and endpoint in ACCEPTING_ENDPOINTS):
            return None, rule
        return await self.pre_fault(request, rule, endpoint), None

    async def answer(self, response: web.Response, late) -> web.Response:
        """Answer a processed request, after the late fault picked for it, if any.

        `accept_timeout` waits before answering; `accept_500` throws the answer away and says 500, although
        the request was accepted (and a PNP delivered): LINE's "a 5xx may have been delivered" case.
        """
        if late is None:
            return response
        if late.kind == "accept_500":
            return json_response(B_INTERNAL, 500, {"x-line-request-id": str(uuid.uuid4())})
        await asyncio.sleep(late.seconds)
        return response

    async def pre_fault(self, request: web.Request, rule, kind: str) -> web.StreamResponse | None:
        """Apply a fault that answers before any processing; None means go on (maybe after a delay)."""
        if rule.kind == "drop":
            self.record(kind, None, None, None, 0, DROPPED)
            return drop_connection(request)
        if rule.kind == "429":
            self.record(kind, None, None, None, 429, FAULT)
            headers = {"Retry-After": str(int(rule.seconds))} if rule.seconds is not None else None
            return json_response(B_RATE_LIMITED, 429, headers)
        if rule.kind in ("500", "accept_500"):
            self.record(kind, None, None, None, 500, FAULT)
            return json_response(B_INTERNAL, 500)
        if rule.kind == "slow":
            await asyncio.sleep(rule.seconds)
            transport = request.transport
            if transport is None or transport.is_closing():
                self.record(kind, None, None, None, 0, ABANDONED)
                return drop_connection(request)
        return None

    # -- PNP -----------------------------------------------------------------------------------------

    async def pnp_push(self, request: web.Request) -> web.StreamResponse:
        """`POST /bot/pnp/push`: flexible PNP, ordinary message objects; 200 `{}`."""
        return await self._pnp_request(request, templated=False)

    async def pnp_templated_push(self, request: web.Request) -> web.StreamResponse:
        """`POST /v2/bot/message/pnp/templated/push`: template PNP, LINE's template filled in; 202 `{}`."""
        return await self._pnp_request(request, templated=True)

    async def _pnp_request(self, request: web.Request, *, templated: bool) -> web.StreamResponse:
        kind = "templated" if templated else "pnp"
        early, late = await self.apply_faults(request, kind)
        if early is not None:
            return early
        channel = self.channel_for(request)
        if channel is None:
            self.record(kind, None, None, None, 401, REJECTED)
            return json_response(B_UNAUTHORIZED, 401)
        cid = channel.channel_id
        if not self.rate_ok(cid, kind):
            self.record(kind, cid, None, None, 429, REJECTED)
            return json_response(B_RATE_LIMITED, 429)
        if (request.content_length or 0) > MAX_BODY:
            self.record(kind, cid, None, None, 413, REJECTED)
            return json_response(B_TOO_LARGE, 413)
        raw = await request.read()
        if len(raw) > MAX_BODY:
            self.record(kind, cid, None, None, 413, REJECTED)
            return json_response(B_TOO_LARGE, 413)
        headers = request.headers
        tag = headers.get("X-Line-Delivery-Tag")
        if "X-Line-Retry-Key" in headers:
            self.record(kind, cid, None, tag, 400, REJECTED)
            return json_response(dumps({"message": "The X-Line-Retry-Key header is not supported by this API"}), 400)
        if tag is not None and not 16 <= len(tag) <= 100:
            self.record(kind, cid, None, tag[:100], 400, REJECTED)
            return json_response(
                body_errors([{"message": "Size must be between 16 and 100", "property": "X-Line-Delivery-Tag"}]), 400
            )
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.record(kind, cid, None, tag, 400, REJECTED)
            return json_response(dumps({"message": "The request body is not a valid JSON object"}), 400)
        to = body.get("to")
        errors = []
        if not isinstance(to, str) or not HEX64.fullmatch(to):
            errors.append({"message": "The value must be a valid SHA-256 digest.", "property": "to"})
            to = to[:100] if isinstance(to, str) else None
        if templated:
            errors += validate_template(body)
        else:
            errors += validate_messages(body.get("messages"), pnp=True)
            nd = body.get("notificationDisabled")
            if nd is not None and not isinstance(nd, bool):
                errors.append({"message": "Must be a boolean", "property": "notificationDisabled"})
        if errors:
            self.record(kind, cid, to, tag, 400, REJECTED)
            return json_response(body_errors(errors), 400)

        shown = {"template": body.get("templateKey"), "body": body.get("body")} if templated else None
        status = self.pnp_outcome(channel, str(to), tag, kind=kind, messages=body.get("messages"), shown=shown)
        if status == 200 and templated:
            status = 202  # LINE answers the template endpoint with 202 Accepted
        response = json_response(
            B_FAILED if status == 422 else B_EMPTY, status, {"x-line-request-id": str(uuid.uuid4())}
        )
        # accept_timeout / accept_500: LINE has accepted (and maybe delivered); the answer is late or a 500
        return await self.answer(response, late)

    def inbox_add(self, user: User, entry: dict) -> None:
        """Keep what reached (or waits for) the user, for the phone view."""
        if not self.options.phone_view:
            return
        self.inbox[user.uid].append({"t": self.clock.now(), **entry})

    def pnp_outcome(
        self,
        channel: Channel,
        to: str,
        tag: str | None,
        *,
        kind: str = "pnp",
        messages: list | None = None,
        shown: dict | None = None,
    ) -> int:
        """Decide what LINE does with an accepted-for-processing PNP (LINE_PNP_API.md §5); return the status."""
        cid = channel.channel_id
        now = self.clock.now()
        user = self.world.users_by_hash.get(to)
        data = tag if tag is not None else to
        digest = bytes.fromhex(to)  # 32 bytes in the record instead of a 64-character string
        if user is None:
            self.record(kind, cid, digest, tag, 422, NO_USER, now)
            return 422
        if user.consent == "off":
            self.record(kind, cid, digest, tag, 422, CONSENT_OFF, now)
            return 422
        if not user.privacy_ok:
            self.record(kind, cid, digest, tag, 422, NO_PRIVACY, now)
            return 422
        if user.blocked_on(cid):
            self.record(kind, cid, digest, tag, 200, BLOCKED, now)
            return 200
        if user.needs_action(now):
            seq = self.record(kind, cid, digest, tag, 200, PENDING, now)
            self.inbox_add(
                user,
                {"kind": kind, "channel": cid, "messages": messages, "template": shown, "seq": seq, "data": data},
            )
            acts = user.acts_after_minutes
            if acts is not None:
                act_at = now + acts * 60
                if user.act_due is None or act_at < user.act_due:
                    user.act_due = act_at
                    self.schedule(act_at, self._user_acts, user)
                if acts * 60 <= PNP_WINDOW:
                    self.schedule(act_at, self._deliver_pending, (seq, channel, data, user, now, kind))
                    return 200
            self.schedule(now + PNP_WINDOW, self._expire, (seq, kind))
            return 200
        seq = self.record(kind, cid, digest, tag, 200, DELIVERED, now)
        self.inbox_add(user, {"kind": kind, "channel": cid, "messages": messages, "template": shown, "seq": seq})
        self.deliver(seq, channel, data, now, sent_at=now, kind=kind)
        return 200

    def user_acts_now(self, user: User) -> int:
        """The user agrees to LINE's notice / passes SMS verification now: deliver what waited; return how many."""
        now = self.clock.now()
        user.act(now)
        delivered = 0
        for entry in self.inbox[user.uid]:
            seq = entry.get("seq", -1)
            channel = self.world.channels.get(entry.get("channel", ""))
            if entry.get("data") is None or channel is None or seq < 0 or self.states[seq] != PENDING:
                continue
            self._deliver_pending((seq, channel, entry["data"], user, entry["t"], entry["kind"]), now)
            delivered += 1
        return delivered

    def _user_acts(self, user: User, due: float) -> None:
        if user.act_due is not None and user.act_due <= due:
            user.act(due)

    def _deliver_pending(self, arg, due: float) -> None:
        seq, channel, data, user, sent_at, kind = arg
        if seq >= 0 and self.states[seq] != PENDING:
            return
        if user.blocked_on(channel.channel_id):  # blocked while the message waited: never delivered
            self.set_state(seq, kind, PENDING, EXPIRED)
            return
        user.act(due)
        self.set_state(seq, kind, PENDING, DELIVERED)
        self.deliver(seq, channel, data, due, sent_at=sent_at, kind=kind)

    def _expire(self, arg, due: float) -> None:
        seq, kind = arg
        if seq >= 0 and self.states[seq] == PENDING:
            self.set_state(seq, kind, PENDING, EXPIRED)

    def deliver(self, seq: int, channel: Channel, data: str, t: float, *, sent_at: float, kind: str = "pnp") -> None:
        """The PNP sent at `sent_at` reached the user at simulated time `t`: count it, send the delivery webhook.

        LINE's count (`/v2/bot/message/delivery/pnp?date=`) is by the JST day the message was *sent*
        ("Date the message was sent", LINE's reference), though only delivered messages are counted: a PNP
        sent at 23:50 JST and delivered after midnight counts on the day it was sent.
        """
        if seq >= 0:
            self.delivered_at[seq] = t
        counts = self.delivery_counts[channel.channel_id]
        count = counts.get(data, 0) + 1
        counts[data] = count
        if count == 2:
            self.duplicate_keys += 1
        daily = self.templated_daily_counts if kind == "templated" else self.daily_counts
        daily[(channel.channel_id, jst_day_index(sent_at))] += 1
        self.sender.enqueue(
            channel,
            {
                "type": "delivery",
                "delivery": {"data": data},
                "webhookEventId": str(ULID()),
                "deliveryContext": {"isRedelivery": False},
                "timestamp": int(t * 1000),
                "mode": "active",
            },
        )

    # -- PNP count -----------------------------------------------------------------------------------

    async def pnp_count(self, request: web.Request) -> web.StreamResponse:
        """`GET /v2/bot/message/delivery/pnp?date=`: flexible PNP delivered, by the JST day sent."""
        return await self._count(request, "count", self.daily_counts)

    async def pnp_templated_count(self, request: web.Request) -> web.StreamResponse:
        """`GET /v2/bot/message/delivery/pnp/templated?date=`: the same for template PNP."""
        return await self._count(request, "templated_count", self.templated_daily_counts)

    async def _count(self, request: web.Request, endpoint: str, daily: dict) -> web.StreamResponse:
        early, late = await self.apply_faults(request, endpoint)
        if early is not None:
            return early
        channel = self.channel_for(request)
        if channel is None:
            return json_response(B_UNAUTHORIZED, 401)
        if not self.rate_ok(channel.channel_id, endpoint):
            return json_response(B_RATE_LIMITED, 429)
        value = request.query.get("date", "")
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return json_response(B_BAD_DATE, 400)
        forced = self.world.count_status.get((channel.channel_id, value)) or self.world.count_status.get(("*", value))
        if day < OUT_OF_SERVICE_BEFORE:
            result: dict[str, str | int] = {"status": "out_of_service"}
        elif forced:
            result = {"status": forced}
            if forced == "ready":
                result["success"] = daily.get((channel.channel_id, (day - EPOCH).days), 0)
        elif (day - EPOCH).days >= jst_day_index(self.clock.now()):
            result = {"status": "unready"}
        else:
            result = {"status": "ready", "success": daily.get((channel.channel_id, (day - EPOCH).days), 0)}
        return await self.answer(json_response(dumps(result), headers={"x-line-request-id": str(uuid.uuid4())}), late)

    # -- Messaging API push and reply -----------------------------------------------------------------

    def _message_results(self, count: int) -> list[dict]:
        return [
            {"id": str(next(self._message_ids)), "quoteToken": uuid.uuid4().hex + uuid.uuid4().hex}
            for _ in range(count)
        ]

    async def message_push(self, request: web.Request) -> web.StreamResponse:
        early, late = await self.apply_faults(request, "push")
        if early is not None:
            return early
        channel = self.channel_for(request)
        if channel is None:
            self.record("push", None, None, None, 401, REJECTED)
            return json_response(B_UNAUTHORIZED, 401)
        cid = channel.channel_id
        if not self.rate_ok(cid, "push"):
            self.record("push", cid, None, None, 429, REJECTED)
            return json_response(B_RATE_LIMITED, 429)
        request_id = str(uuid.uuid4())
        retry_key = request.headers.get("X-Line-Retry-Key")
        now = self.clock.now()
        if retry_key is not None:
            if not UUID_RE.fullmatch(retry_key):
                self.record("push", cid, None, retry_key[:100], 400, REJECTED)
                return json_response(dumps({"message": "The retry key must be a UUID"}), 400)
            seen = self.retry_keys.get((cid, retry_key.lower()))
            if seen is not None and seen[0] > now:
                self.record("push", cid, None, retry_key, 409, REJECTED)
                return json_response(
                    dumps({"message": "The retry key is already accepted", "sentMessages": seen[2]}),
                    409,
                    {"X-Line-Accepted-Request-Id": seen[1], "x-line-request-id": request_id},
                )
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return json_response(B_TOO_LARGE, 413)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json_response(dumps({"message": "The request body is not a valid JSON object"}), 400)
        to = body.get("to")
        errors = validate_messages(body.get("messages"), pnp=False)
        if not isinstance(to, str) or not to:
            errors.insert(0, {"message": "May not be empty", "property": "to"})
        if errors:
            self.record("push", cid, to if isinstance(to, str) else None, retry_key, 400, REJECTED)
            return json_response(body_errors(errors), 400)
        user = self.world.users_by_uid.get(str(to))
        link = user.link(cid) if user is not None else None
        if link is None or not link.friend or link.blocked:
            self.record("push", cid, to, retry_key, 400, REJECTED)
            return json_response(
                dumps(
                    {
                        "message": "Failed to send messages",
                        "details": [
                            {
                                "message": "The user is not a friend of this LINE Official Account or has blocked it",
                                "property": "to",
                            }
                        ],
                    }
                ),
                400,
                {"x-line-request-id": request_id},
            )
        sent = self._message_results(len(body["messages"]))
        if retry_key is not None:
            self.retry_keys[(cid, retry_key.lower())] = (now + RETRY_KEY_TTL, request_id, sent)
        seq = self.record("push", cid, to, retry_key, 200, SENT, now)
        if user is not None:
            self.inbox_add(user, {"kind": "push", "channel": cid, "messages": body["messages"], "seq": seq})
        # LINE counts a push once per recipient, however many message objects it holds
        self.push_month_counts[(cid, jst_day_string(now)[:6])] += 1
        if seq >= 0:
            self.delivered_at[seq] = now
        response = json_response(dumps({"sentMessages": sent}), headers={"x-line-request-id": request_id})
        return await self.answer(response, late)

    async def message_reply(self, request: web.Request) -> web.StreamResponse:
        early, late = await self.apply_faults(request, "reply")
        if early is not None:
            return early
        channel = self.channel_for(request)
        if channel is None:
            self.record("reply", None, None, None, 401, REJECTED)
            return json_response(B_UNAUTHORIZED, 401)
        cid = channel.channel_id
        if not self.rate_ok(cid, "reply"):
            return json_response(B_RATE_LIMITED, 429)
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json_response(dumps({"message": "The request body is not a valid JSON object"}), 400)
        token = body.get("replyToken")
        errors = validate_messages(body.get("messages"), pnp=False)
        if errors:
            self.record("reply", cid, None, token, 400, REJECTED)
            return json_response(body_errors(errors), 400)
        now = self.clock.now()
        entry = self.reply_tokens.pop(token, None) if isinstance(token, str) else None
        if entry is None or entry[0] != cid or entry[2] < now:
            self.record("reply", cid, None, token if isinstance(token, str) else None, 400, REJECTED)
            return json_response(dumps({"message": "Invalid reply token"}), 400)
        seq = self.record("reply", cid, entry[1], token, 200, SENT, now)
        replied_to = self.world.users_by_uid.get(entry[1])
        if replied_to is not None:
            self.inbox_add(replied_to, {"kind": "reply", "channel": cid, "messages": body["messages"], "seq": seq})
        if seq >= 0:
            self.delivered_at[seq] = now
        response = json_response(
            dumps({"sentMessages": self._message_results(len(body["messages"]))}),
            headers={"x-line-request-id": str(uuid.uuid4())},
        )
        return await self.answer(response, late)

    # -- admin: users, follow / unfollow --------------------------------------------------------------

    def follow_event(self, channel: Channel, user: User, follow: bool) -> dict:
        link = user.link_for_update(channel.channel_id)
        now = self.clock.now()
        event = {
            "type": "follow" if follow else "unfollow",
            "timestamp": int(now * 1000),
            "source": {"type": "user", "userId": user.uid},
            "mode": "active",
            "webhookEventId": str(ULID()),
            "deliveryContext": {"isRedelivery": False},
        }
        if follow:
            token = uuid.uuid4().hex
            self.reply_tokens[token] = (channel.channel_id, user.uid, now + REPLY_TOKEN_TTL)
            event["replyToken"] = token
            event["follow"] = {"isUnblocked": link.blocked}
            link.friend, link.blocked = True, False
        else:
            link.blocked = True
        self.sender.enqueue(channel, event)
        return event

    def message_event(self, channel: Channel, user: User, text: str) -> dict:
        """The user writes `text` to the account: a signed `message` event with a reply token (friends or not)."""
        now = self.clock.now()
        token = uuid.uuid4().hex
        self.reply_tokens[token] = (channel.channel_id, user.uid, now + REPLY_TOKEN_TTL)
        event = {
            "type": "message",
            "timestamp": int(now * 1000),
            "source": {"type": "user", "userId": user.uid},
            "replyToken": token,
            "mode": "active",
            "webhookEventId": str(ULID()),
            "deliveryContext": {"isRedelivery": False},
            "message": {
                "type": "text",
                "id": str(next(self._message_ids)),
                "text": text,
                "quoteToken": uuid.uuid4().hex + uuid.uuid4().hex,
            },
        }
        self.sender.enqueue(channel, event)
        return event


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the client's socket without an HTTP answer."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise ConnectionResetError("connection dropped by an injected fault")


async def read_json(request: web.Request) -> dict:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"invalid JSON: {exc}"}), content_type=JSON_TYPE) from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "expected a JSON object"}), content_type=JSON_TYPE)
    return data


def bad_request(message: str) -> web.Response:
    return json_response(dumps({"error": message}), 400)


SANDBOX = web.AppKey("sandbox", Sandbox)


def create_app(options: Options) -> web.Application:
    from . import accounts, admin, login, phone, sms

    sandbox = Sandbox(options)
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[SANDBOX] = sandbox
    app.router.add_post("/bot/pnp/push", sandbox.pnp_push)
    app.router.add_post("/v2/bot/message/pnp/templated/push", sandbox.pnp_templated_push)
    app.router.add_get("/v2/bot/message/delivery/pnp", sandbox.pnp_count)
    app.router.add_get("/v2/bot/message/delivery/pnp/templated", sandbox.pnp_templated_count)
    app.router.add_post("/v2/bot/message/push", sandbox.message_push)
    app.router.add_post("/v2/bot/message/reply", sandbox.message_reply)
    accounts.add_routes(app, sandbox)
    admin.add_routes(app, sandbox)
    sms.add_routes(app, sandbox.sms)
    login.add_routes(app, sandbox)
    phone.add_routes(app, sandbox)
    app.on_startup.append(sandbox.start)
    app.on_cleanup.append(sandbox.stop)
    return app


__all__ = [
    "JST_OFFSET",
    "OUTCOMES",
    "SANDBOX",
    "FaultSpecError",
    "Options",
    "Sandbox",
    "WorldError",
    "bad_request",
    "create_app",
    "read_json",
    "user_from_dict",
]

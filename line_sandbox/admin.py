"""Admin and inspection routes under /sandbox/ (not part of LINE's API)."""

from __future__ import annotations

from aiohttp import web

from .clock import iso, parse_time
from .faults import FaultSpecError, parse_json
from .server import OUTCOMES, Sandbox, WorldError, bad_request, read_json, user_from_dict
from .webhooks import dumps


def ok(data: object) -> web.Response:
    return web.Response(body=dumps(data), content_type="application/json")


def add_routes(app: web.Application, sandbox: Sandbox) -> None:
    async def index(request: web.Request) -> web.Response:
        return ok(
            {
                "service": "line_sandbox",
                "clock": sandbox.clock.as_dict(),
                "channels": len(sandbox.world.channels),
                "users": len(sandbox.world.users_by_hash),
            }
        )

    async def clock_get(request: web.Request) -> web.Response:
        return ok(sandbox.clock.as_dict())

    async def clock_advance(request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            seconds = float(data["seconds"])
        except (KeyError, TypeError, ValueError):
            return bad_request('expected {"seconds": N}')
        if seconds < 0:
            return bad_request("the clock only moves forward; use /sandbox/clock/set")
        sandbox.clock.advance(seconds)
        fired = sandbox.process_due()
        return ok({**sandbox.clock.as_dict(), "fired": fired})

    async def clock_set(request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            now = parse_time(data["now"]) if data.get("now") is not None else None
            factor = float(data["time_factor"]) if data.get("time_factor") is not None else None
        except (TypeError, ValueError) as exc:
            return bad_request(f"bad clock setting: {exc}")
        sandbox.clock.set(now, factor)
        fired = sandbox.process_due()
        return ok({**sandbox.clock.as_dict(), "fired": fired})

    async def faults_get(request: web.Request) -> web.Response:
        return ok(sandbox.faults.as_dict())

    async def faults_post(request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            rules = parse_json(data)
        except FaultSpecError as exc:
            return bad_request(str(exc))
        if data.get("replace", True):
            sandbox.faults.replace(rules, seed=data.get("seed"))
        else:
            sandbox.faults.add(rules)
        return ok(sandbox.faults.as_dict())

    async def faults_delete(request: web.Request) -> web.Response:
        sandbox.faults.replace([])
        return ok(sandbox.faults.as_dict())

    def config_dict() -> dict:
        return {
            "rate_limit": sandbox.rate_limit,
            "webhooks": sandbox.webhook_config.as_dict(),
            "sms_report_delay": sandbox.sms.report_delay,
            "sms_callback_url": sandbox.sms_callback_url,
        }

    async def config_get(request: web.Request) -> web.Response:
        return ok(config_dict())

    async def config_post(request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            if "rate_limit" in data:
                sandbox.rate_limit = int(data["rate_limit"])
            if "webhooks" in data:
                sandbox.webhook_config.update(data["webhooks"])
            if "sms_report_delay" in data:
                sandbox.sms.report_delay = float(data["sms_report_delay"])
            if "sms_callback_url" in data:
                sandbox.sms_callback_url = str(data["sms_callback_url"])
        except (TypeError, ValueError) as exc:
            return bad_request(str(exc))
        return ok(config_dict())

    def find_user(data: dict):
        key = data.get("user") or data.get("uid") or data.get("phone") or data.get("hash")
        return sandbox.world.find_user(key) if isinstance(key, str) else None

    def channel_and_user(data: dict):
        """The channel and user an event request names, or the 400 that says which is unknown."""
        channel = sandbox.world.channels.get(str(data.get("channel_id")))
        if channel is None:
            return bad_request("unknown channel_id")
        user = find_user(data)
        if user is None:
            return bad_request("unknown user (give uid, phone or hash)")
        return channel, user

    async def users_upsert(request: web.Request) -> web.Response:
        data = await read_json(request)
        now = sandbox.clock.now()
        try:
            users = [user_from_dict(item, now) for item in data.get("users", [])]
        except WorldError as exc:
            return bad_request(str(exc))
        for user in users:
            sandbox.world.add_user(user)
        return ok({"upserted": len(users), "users": len(sandbox.world.users_by_hash)})

    async def user_get(request: web.Request) -> web.Response:
        user = sandbox.world.find_user(request.match_info["key"])
        if user is None:
            raise web.HTTPNotFound(text='{"error": "no such user"}', content_type="application/json")
        return ok(user.as_dict(sandbox.clock.now()))

    def follow_handler(follow: bool):
        async def handler(request: web.Request) -> web.Response:
            data = await read_json(request)
            found = channel_and_user(data)
            if isinstance(found, web.Response):
                return found
            channel, user = found
            return ok({"event": sandbox.follow_event(channel, user, follow)})

        return handler

    async def message_handler(request: web.Request) -> web.Response:
        data = await read_json(request)
        found = channel_and_user(data)
        if isinstance(found, web.Response):
            return found
        channel, user = found
        text = data.get("text")
        if not isinstance(text, str) or not text:
            return bad_request("give the message's text")
        return ok({"event": sandbox.message_event(channel, user, text)})

    async def count_status(request: web.Request) -> web.Response:
        data = await read_json(request)
        day = str(data.get("date", ""))
        key = (str(data.get("channel_id") or "*"), day)
        if data.get("status"):
            sandbox.world.count_status[key] = str(data["status"])
        else:
            sandbox.world.count_status.pop(key, None)
        return ok(
            {
                "forced": [
                    {"channel_id": c, "date": d, "status": s}
                    for (c, d), s in sorted(sandbox.world.count_status.items())
                ]
            }
        )

    async def world_get(request: web.Request) -> web.Response:
        now = sandbox.clock.now()
        data: dict = {
            "channels": [c.as_dict() for c in sandbox.world.channels.values()],
            "user_count": len(sandbox.world.users_by_hash),
        }
        if request.query.get("users"):
            data["users"] = [u.as_dict(now) for u in sandbox.world.users_by_hash.values()]
        return ok(data)

    async def inspect(request: web.Request) -> web.Response:
        return ok(inspection(sandbox, request.query))

    async def reset(request: web.Request) -> web.Response:
        sandbox.reset()
        return ok({"reset": True, "clock": sandbox.clock.as_dict()})

    r = app.router
    r.add_get("/", index)
    r.add_get("/sandbox/clock", clock_get)
    r.add_post("/sandbox/clock/advance", clock_advance)
    r.add_post("/sandbox/clock/set", clock_set)
    r.add_get("/sandbox/faults", faults_get)
    r.add_post("/sandbox/faults", faults_post)
    r.add_delete("/sandbox/faults", faults_delete)
    r.add_get("/sandbox/config", config_get)
    r.add_post("/sandbox/config", config_post)
    r.add_post("/sandbox/users", users_upsert)
    r.add_post("/sandbox/users/follow", follow_handler(True))
    r.add_post("/sandbox/users/unfollow", follow_handler(False))
    r.add_post("/sandbox/users/message", message_handler)
    r.add_get("/sandbox/users/{key}", user_get)
    r.add_post("/sandbox/pnp-count-status", count_status)
    r.add_get("/sandbox/world", world_get)
    r.add_get("/sandbox/inspect", inspect)
    r.add_post("/sandbox/reset", reset)


def inspection(sandbox: Sandbox, query) -> dict:
    """Build the inspection document; `summary=1` leaves out the per-record lists."""
    outcomes: dict[str, dict[str, int]] = {}
    for (kind, state), count in sandbox.outcome_counts.items():
        if count:
            outcomes.setdefault(kind, {})[OUTCOMES[state]] = count
    sender = sandbox.sender
    summary = {
        "now": iso(sandbox.clock.now()),
        "records": len(sandbox.records),
        "records_dropped": sandbox.records_dropped,
        "outcomes": outcomes,
        "deliveries": sum(sum(c.values()) for c in sandbox.delivery_counts.values()),
        "delivery_keys": sum(len(c) for c in sandbox.delivery_counts.values()),
        "keys_delivered_more_than_once": sandbox.duplicate_keys,
        "scheduled": len(sandbox.heap),
        # actions whose simulated time has come but have not run yet (the scheduler ticks)
        "due": sum(1 for entry in sandbox.heap if entry[0] <= sandbox.clock.now()),
        "webhooks": {
            "attempts": sum(sender.status_counts.values()),
            "by_status": dict(sender.status_counts),
            "pending": sender.pending,
        },
        "sms": sandbox.sms.summary(),
        "rates": sandbox.rate_summary(),
    }
    if query.get("summary") in ("1", "true", "yes"):
        return {"summary": summary}
    kind = query.get("kind")
    channel = query.get("channel")
    tag = query.get("tag")
    offset = int(query.get("offset", 0))
    limit = int(query.get("limit", 0)) or None
    records = []
    states, delivered = sandbox.states, sandbox.delivered_at
    for seq in range(offset, len(sandbox.records)):
        t, k, cid, to, rtag, status = sandbox.records[seq]
        if (kind and k != kind) or (channel and cid != channel) or (tag and rtag != tag):
            continue
        d = delivered[seq]
        if isinstance(to, bytes):
            to = to.hex()
        records.append(
            {
                "seq": seq,
                "kind": k,
                "time_ms": int(t * 1000),
                "channel_id": cid,
                "to": to,
                "tag": rtag,
                "status": status,
                "outcome": OUTCOMES[states[seq]],
                "delivered_at_ms": int(d * 1000) if d else None,
            }
        )
        if limit and len(records) >= limit:
            break
    deliveries = [
        {"channel_id": c, "data": d, "count": n}
        for c, counts in sandbox.delivery_counts.items()
        if not channel or c == channel
        for d, n in counts.items()
        if not tag or d == tag
    ]
    attempts = [
        {
            "time": a[0],
            "channel_id": a[1],
            "url": a[2],
            "events": a[3],
            "first_event_id": a[4],
            "redelivery": a[5],
            "status": a[6],
            "error": a[7],
        }
        for a in sender.attempts
    ]
    return {
        "summary": summary,
        "records": records,
        "deliveries": deliveries,
        "webhook_attempts": attempts,
        "sms_messages": sandbox.sms.messages_list(),
    }

"""A minimal SMS gateway: a simple JSON protocol under /sms/ and Mitake's SmSend/SmQuery under /sms/mitake/."""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from .clock import iso
from .server import DELIVERED, FAILED, REJECTED, SENT, Sandbox, json_response
from .webhooks import dumps, sign
from .world import E164, phone_hash

TW = timezone(timedelta(hours=8))
MITAKE_DEDUP_SECONDS = 12 * 3600
MITAKE_FLAGS = {
    "DELIVERED": ("4", "DELIVRD"),
    "FAILED": ("6", "UNDELIV"),
    "EXPIRED": ("8", "EXPIRED"),
    "REJECTED": ("5", "SYNTAXE"),
}
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
B_SMS_UNAUTHORIZED = dumps({"error": "invalid or missing API credential"})


def segments(text: str) -> int:
    """Return how many SMS parts `text` takes (GSM-7 160/153, otherwise UCS-2 70/67)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = len(text) + sum(1 for c in text if c in GSM_EXTENDED)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def mitake_number(raw: str) -> str | None:
    """Normalise a Mitake dstaddr the way Mitake does since v2.14; return 09XXXXXXXX or None."""
    digits = re.sub(r"[+.\- ]", "", raw or "")
    if digits.startswith("88609"):
        digits = "0" + digits[4:]
    elif digits.startswith("8869"):
        digits = "0" + digits[3:]
    return digits if re.fullmatch(r"09[0-9]{8}", digits) else None


def tw_stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, TW).strftime("%Y%m%d%H%M%S")


class SmsMessage:
    __slots__ = (
        "callback_url",
        "client_ref",
        "done_at",
        "message_id",
        "parts",
        "protocol",
        "seq",
        "status",
        "submitted_at",
        "text_len",
        "to",
    )

    callback_url: str | None
    client_ref: str | None
    done_at: float | None
    message_id: str
    parts: int
    protocol: str
    seq: int
    status: str
    submitted_at: float
    text_len: int
    to: str

    def __init__(self, **kwargs) -> None:
        for key in self.__slots__:
            setattr(self, key, kwargs.get(key))

    def as_dict(self) -> dict:
        return {
            "message_id": self.message_id,
            "protocol": self.protocol,
            "to": self.to,
            "client_ref": self.client_ref,
            "status": self.status,
            "segments": self.parts,
            "submitted_at": iso(self.submitted_at),
            "done_at": iso(self.done_at) if self.done_at else None,
        }


class SmsGateway:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.report_delay = sandbox.options.sms_report_delay
        self.reset()

    def reset(self) -> None:
        self.messages: dict[str, SmsMessage] = {}
        self.by_client_ref: dict[tuple[str, str], tuple[float, str]] = {}
        self.account_points = 100000
        self._ids = itertools.count(1)
        self._mitake_ids = itertools.count(300000001)
        self.report_delay = self.sandbox.options.sms_report_delay

    def summary(self) -> dict:
        by_status: dict[str, int] = {}
        for msg in self.messages.values():
            by_status[msg.status] = by_status.get(msg.status, 0) + 1
        return {"messages": len(self.messages), "by_status": by_status, "account_points": self.account_points}

    def messages_list(self) -> list[dict]:
        return [m.as_dict() for m in self.messages.values()]

    def _final_status(self, e164: str) -> str:
        if self.sandbox.faults.active and self.sandbox.faults.pick("sms", ("fail",)) is not None:
            return "FAILED"
        user = self.sandbox.world.users_by_hash.get(phone_hash(e164))
        return user.sms_status if user is not None else "DELIVERED"

    def _accept(
        self, protocol: str, e164: str, text: str, client_ref: str | None, callback_url: str | None, message_id: str
    ) -> SmsMessage:
        sandbox = self.sandbox
        now = sandbox.clock.now()
        parts = segments(text)
        self.account_points -= parts
        seq = sandbox.record("sms", protocol, e164, client_ref, 200, SENT, now)
        msg = SmsMessage(
            message_id=message_id,
            protocol=protocol,
            to=e164,
            text_len=len(text),
            client_ref=client_ref,
            callback_url=callback_url,
            status="ACCEPTED",
            submitted_at=now,
            done_at=None,
            seq=seq,
            parts=parts,
        )
        self.messages[message_id] = msg
        user = sandbox.world.users_by_hash.get(phone_hash(e164))
        if user is not None:
            sandbox.inbox_add(user, {"kind": "sms", "text": text, "seq": seq})
        sandbox.schedule(now + self.report_delay, self._report, msg)
        return msg

    def _report(self, msg: SmsMessage, due: float) -> None:
        status = self._final_status(msg.to)
        msg.status, msg.done_at = status, due
        sandbox = self.sandbox
        sandbox.set_state(msg.seq, "sms", SENT, DELIVERED if status == "DELIVERED" else FAILED)
        if msg.seq >= 0 and status == "DELIVERED":
            sandbox.delivered_at[msg.seq] = due
        if not msg.callback_url:
            return
        if msg.protocol == "mitake":
            flag, text = MITAKE_FLAGS.get(status, ("6", "UNDELIV"))
            query = urlencode(
                {
                    "msgid": msg.message_id,
                    "dstaddr": "0" + msg.to[4:],
                    "dlvtime": tw_stamp(msg.submitted_at),
                    "donetime": tw_stamp(due),
                    "statuscode": "0",
                    "statusstr": text,
                    "StatusFlag": flag,
                }
            )
            sep = "&" if "?" in msg.callback_url else "?"
            sandbox.callbacks.send(
                method="GET",
                url=f"{msg.callback_url}{sep}{query}",
                label="sms:mitake",
                accept=lambda s, body: s == 200 and b"magicid=sms_gateway_rpack" in body,
            )
        else:
            body = dumps(
                {
                    "message_id": msg.message_id,
                    "to": msg.to,
                    "status": status,
                    "client_ref": msg.client_ref,
                    "segments": msg.parts,
                    "submitted_at": iso(msg.submitted_at),
                    "done_at": iso(due),
                }
            )
            headers = {
                "Content-Type": "application/json",
                "X-Sandbox-Signature": sign(sandbox.options.sms_api_key, body),
            }
            sandbox.callbacks.send(method="POST", url=msg.callback_url, label="sms", body=body, headers=headers)

    # -- simple JSON protocol -------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.StreamResponse:
        early, late = await self.sandbox.apply_faults(request, "sms")
        if early is not None:
            return early
        auth = request.headers.get("Authorization", "")
        key = auth[7:].strip() if auth.startswith("Bearer ") else request.headers.get("X-Api-Key", "")
        if not hmac.compare_digest(key.encode(), self.sandbox.options.sms_api_key.encode()):
            self.sandbox.record("sms", "json", None, None, 401, REJECTED)
            return json_response(B_SMS_UNAUTHORIZED, 401)
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json_response(dumps({"error": "expected a JSON object"}), 400)
        to, text = body.get("to"), body.get("text")
        client_ref = body.get("client_ref")
        errors = []
        if not isinstance(to, str) or not E164.match(to):
            errors.append("to must be an E.164 number such as +886912345678")
        if not isinstance(text, str) or not text:
            errors.append("text must be a non-empty string")
        elif len(text) > 1000:
            errors.append("text must be at most 1000 characters")
        if client_ref is not None and (not isinstance(client_ref, str) or not 1 <= len(client_ref) <= 64):
            errors.append("client_ref must be a string of 1-64 characters")
        if errors:
            self.sandbox.record("sms", "json", to if isinstance(to, str) else None, None, 400, REJECTED)
            return json_response(dumps({"error": "; ".join(errors)}), 400)
        now = self.sandbox.clock.now()
        if client_ref is not None:
            seen = self.by_client_ref.get(("json", client_ref))
            if seen is not None and seen[0] > now:
                msg = self.messages[seen[1]]
                return json_response(
                    dumps(
                        {"message_id": msg.message_id, "status": "ACCEPTED", "segments": msg.parts, "duplicate": True}
                    )
                )
        message_id = f"SMS{next(self._ids):012d}"
        callback_url = body.get("callback_url") or self.sandbox.sms_callback_url
        msg = self._accept("json", str(to), str(text), client_ref, callback_url, message_id)
        if client_ref is not None:
            self.by_client_ref[("json", client_ref)] = (now + 86400, message_id)
        response = json_response(
            dumps({"message_id": message_id, "status": "ACCEPTED", "segments": msg.parts, "duplicate": False})
        )
        if late is not None:
            await asyncio.sleep(late.seconds)
        return response

    async def status(self, request: web.Request) -> web.Response:
        msg = self.messages.get(request.match_info["message_id"])
        if msg is None:
            return json_response(dumps({"error": "unknown message_id"}), 404)
        return json_response(dumps(msg.as_dict()))

    # -- Mitake SmSend / SmQuery ------------------------------------------------------------------------

    async def _mitake_params(self, request: web.Request) -> dict[str, str]:
        charset = request.query.get("CharsetURL", "Big5")
        encoding = "utf-8" if charset.replace("-", "").upper() == "UTF8" else "big5"
        params = {}
        raw_query = request.rel_url.raw_query_string
        raw_body = (await request.read()).decode("ascii", "replace")
        for source in (raw_query, raw_body):
            for key, value in parse_qsl(source, keep_blank_values=True, encoding=encoding, errors="replace"):
                params[key] = value
        return params

    def _mitake_reply(self, lines: list[str], status: int = 200) -> web.Response:
        text = "\r\n".join(lines) + "\r\n"
        return web.Response(
            body=text.encode("big5", "replace"), status=status, headers={"Content-Type": "text/plain; charset=Big5"}
        )

    def _mitake_auth(self, params: dict[str, str]) -> str | None:
        opts = self.sandbox.options
        if not params.get("username"):
            return "c"
        if not params.get("password"):
            return "d"
        if params["username"] != opts.mitake_username or params["password"] != opts.mitake_password:
            return "e"
        return None

    async def mitake_send(self, request: web.Request) -> web.StreamResponse:
        early, late = await self.sandbox.apply_faults(request, "sms")
        if early is not None:
            return early
        params = await self._mitake_params(request)
        header = f"[{params.get('clientid') or 1}]"
        code = self._mitake_auth(params)
        if code is not None:
            self.sandbox.record("sms", "mitake", None, params.get("clientid"), 200, REJECTED)
            return self._mitake_reply(
                [header, f"statuscode={code}", "Error=帳號、密碼錯誤" if code == "e" else "Error=參數錯誤"]
            )
        number = mitake_number(params.get("dstaddr", ""))
        body = params.get("smbody", "").replace("\x06", "\n")
        if not body or number is None:
            code = "u" if not body else "v"
            self.sandbox.record("sms", "mitake", params.get("dstaddr"), params.get("clientid"), 200, REJECTED)
            return self._mitake_reply([header, f"statuscode={code}"])
        now = self.sandbox.clock.now()
        client_id = params.get("clientid") or None
        point_flag = params.get("smsPointFlag") == "1"
        if client_id:
            seen = self.by_client_ref.get(("mitake", client_id))
            if seen is not None and seen[0] > now:
                msg = self.messages[seen[1]]
                lines = [header, f"msgid={msg.message_id}", "statuscode=1"]
                if point_flag:
                    lines.append(f"smsPoint={msg.parts}")
                return self._mitake_reply([*lines, f"AccountPoint={self.account_points}", "Duplicate=Y"])
        message_id = f"{next(self._mitake_ids):010d}"
        msg = self._accept("mitake", "+886" + number[1:], body, client_id, params.get("response") or None, message_id)
        if client_id:
            self.by_client_ref[("mitake", client_id)] = (now + MITAKE_DEDUP_SECONDS, message_id)
        lines = [header, f"msgid={message_id}", "statuscode=1"]
        if point_flag:
            lines.append(f"smsPoint={msg.parts}")
        response = self._mitake_reply([*lines, f"AccountPoint={self.account_points}"])
        if late is not None:
            await asyncio.sleep(late.seconds)
        return response

    async def mitake_query(self, request: web.Request) -> web.StreamResponse:
        params = await self._mitake_params(request)
        code = self._mitake_auth(params)
        if code is not None:
            return self._mitake_reply([f"statuscode={code}"])
        ids = [m for m in params.get("msgid", "").split(",") if m]
        if not ids:
            return self._mitake_reply([f"AccountPoint={self.account_points}"])
        if len(ids) > 100:
            return self._mitake_reply(["statuscode=w"])
        lines = []
        for message_id in ids:
            msg = self.messages.get(message_id)
            if msg is None or msg.protocol != "mitake":
                lines.append(f"{message_id}\tz\t{tw_stamp(self.sandbox.clock.now())}")
                continue
            flag = MITAKE_FLAGS.get(msg.status, ("1", ""))[0] if msg.done_at else "1"
            lines.append(f"{message_id}\t{flag}\t{tw_stamp(msg.done_at or msg.submitted_at)}")
        return self._mitake_reply(lines)


def add_routes(app: web.Application, gateway: SmsGateway) -> None:
    r = app.router
    r.add_post("/sms/send", gateway.send)
    r.add_get("/sms/messages/{message_id}", gateway.status)
    for prefix in ("b2c", "api"):
        r.add_route("*", f"/sms/mitake/{prefix}/mtk/SmSend", gateway.mitake_send)
        r.add_route("*", f"/sms/mitake/{prefix}/mtk/SmQuery", gateway.mitake_query)

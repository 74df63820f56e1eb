"""The phone view: one page per simulated user showing what their phone received, and buttons to act.

``GET /sandbox/phone/{uid or phone}`` lists, in time order, the PNPs (as LINE bubbles, with
LINE's first-time consent or SMS-verification screen while one waits for it), pushes, replies
and SMS texts that reached the user, and lets you act as the user: agree / verify (what was
waiting is delivered), follow or block each account, and tap a link. Tapping a
``liff.line.me`` link opens it the way the LINE app would: the user adds the account as a
friend (LIFF's add-friend prompt; a ``follow`` event goes to the portal) and the LIFF endpoint
(``--liff-endpoint``, the portal's demo binding page by default) opens with the user's ID token.
Only with ``--phone-view``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from aiohttp import web

from .clock import iso
from .login import ID_TOKENS
from .server import PENDING, Sandbox
from .world import User

URL = re.compile(r"https?://[^\s<>\"'）」]+")
STATE_NAMES = {PENDING: "waiting"}


def _links(text: str, key: str, channel: str) -> str:
    """Escape ``text`` and make each URL in it a tap that goes through the phone."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = match.group(0)
        tap = f"/sandbox/phone/{quote(key)}/open?" + urlencode({"url": url, "channel": channel})
        out.append(f'<a class="tap" href="{html.escape(tap)}">{html.escape(url)}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def _texts(node: object) -> list[str]:
    """The texts a flex message shows, in order."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") in ("text", "span") and isinstance(node.get("text"), str) else []
        for key in ("header", "hero", "body", "footer", "contents"):
            if key in node:
                found += _texts(node[key])
        return found
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _bubble(entry: dict, key: str) -> str:
    channel = entry.get("channel") or ""
    parts: list[str] = []
    for message in entry.get("messages") or []:
        if not isinstance(message, dict):
            continue
        if message.get("type") == "text":
            parts.append(f'<div class="text">{_links(str(message.get("text", "")), key, channel)}</div>')
        elif message.get("type") == "flex":
            texts = _texts(message.get("contents")) or [str(message.get("altText", ""))]
            lines = "".join(f"<div>{_links(t, key, channel)}</div>" for t in texts)
            parts.append(f'<div class="flex">{lines}</div>')
        else:
            parts.append(f'<div class="text">[{html.escape(str(message.get("type")))}]</div>')
    template = entry.get("template")
    if template:
        items = template.get("body") or {}
        rows = "".join(
            f"<div>{html.escape(str(k))}: {_links(str(v), key, channel)}</div>"
            for k, v in (items.items() if isinstance(items, dict) else [])
        )
        parts.append(
            f'<div class="flex"><div class="alt">{html.escape(str(template.get("template")))}</div>{rows}</div>'
        )
    return "".join(parts)


LABELS = {"pnp": "LINE notification message", "pnp_templated": "LINE notification message (template)"}
LABELS |= {"push": "LINE message", "reply": "LINE reply", "sms": "SMS"}

STYLE = """
body{margin:0;background:#e9edf1;font-family:-apple-system,"Noto Sans TC","PingFang TC",sans-serif}
main{max-width:420px;margin:0 auto;background:#8cabd9;min-height:100vh}
header{background:#fff;padding:12px 16px;border-bottom:1px solid #ddd}
header h1{font-size:17px;margin:0}header .sub{font-size:12px;color:#777}
.acts{background:#fff;padding:8px 16px;border-bottom:1px solid #ddd;font-size:13px}
.acts form{display:block;margin:2px 0}
.acts button{margin:2px;padding:6px 10px;border-radius:14px;border:1px solid #06c755;
background:#fff;color:#06c755}
.feed{padding:12px}.item{margin:10px 0}.meta{font-size:11px;color:#334;margin:0 0 3px 4px}
.bubble{background:#fff;border-radius:16px;padding:10px 12px;max-width:85%;word-break:break-word;font-size:14px}
.bubble .flex .alt{font-size:12px;color:#06c755;font-weight:bold;margin-bottom:4px}
.sms .bubble{background:#f1f1f1;border:1px solid #ccc}.sms .meta{color:#222}
.screen{background:#fff;border-radius:12px;padding:12px;border:2px solid #06c755}
.screen h2{font-size:15px;margin:0 0 6px}.screen button{width:100%;padding:10px;border:0;border-radius:8px;
background:#06c755;color:#fff;font-size:15px}
.waiting{opacity:.55}a.tap{color:#1a5fb4}.empty{color:#fff;text-align:center;margin-top:40px}
"""


def _screens(sandbox: Sandbox, user: User, key: str) -> str:
    """LINE's own screens the user's state calls for, while a PNP waits for them."""
    waiting = any(
        e.get("seq", -1) >= 0 and e.get("data") is not None and sandbox.states[e["seq"]] == PENDING
        for e in sandbox.inbox[user.uid]
    )
    if not waiting:
        return ""
    action = f"/sandbox/phone/{quote(key)}/act"
    if user.consent == "unset":
        title, text, label, value = (
            "LINE: notification messages",
            "Companies can send you notification messages on LINE using your phone number. Agree to receive them?",
            "Agree",
            "agree",
        )
    else:
        title, text, label, value = (
            "LINE: verify your phone number",
            "To keep receiving notification messages, verify your phone number by SMS.",
            "Verify",
            "verify",
        )
    return (
        f'<div class="item"><div class="screen" id="line-screen"><h2>{title}</h2><p>{text}</p>'
        f'<form method="post" action="{action}"><button name="action" value="{value}">{label}</button></form>'
        "</div></div>"
    )


def page(sandbox: Sandbox, user: User, key: str) -> str:
    esc = html.escape
    acts = []
    for cid, channel in sandbox.world.channels.items():
        link = user.link(cid)
        friend = bool(link and link.friend and not link.blocked)
        state = "friend" if friend else ("blocked" if link and link.blocked else "not a friend")
        button = ("block", "Block") if friend else ("follow", "Unblock" if link and link.blocked else "Add friend")
        acts.append(
            f'<form method="post" action="/sandbox/phone/{quote(key)}/act">'
            f'<input type="hidden" name="channel" value="{esc(cid)}">'
            f"{esc(channel.brand_slug or cid)} ({state}) "
            f'<button name="action" value="{button[0]}">{button[1]}</button></form>'
        )
    items = []
    for entry in sandbox.inbox[user.uid]:
        seq = entry.get("seq", -1)
        waiting = seq >= 0 and entry.get("data") is not None and sandbox.states[seq] == PENDING
        label = LABELS.get(entry["kind"], entry["kind"])
        if entry["kind"] == "sms":
            body = _links(str(entry.get("text", "")), key, "")
        else:
            body = _bubble(entry, key)
        note = " · waiting for you on LINE" if waiting else ""
        items.append(
            f'<div class="item {esc(entry["kind"])}{" waiting" if waiting else ""}">'
            f'<div class="meta">{esc(label)} · {esc(iso(entry["t"]))}{note}</div>'
            f'<div class="bubble">{body}</div></div>'
        )
    feed = "".join(items) or '<div class="empty">Nothing received yet.</div>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(user.display_name)} · phone</title><style>{STYLE}</style></head><body><main>"
        f'<header><h1>{esc(user.display_name)}</h1><div class="sub">{esc(user.phone)} · {esc(user.uid)}</div></header>'
        f'<div class="acts">{"".join(acts)}</div>'
        f'<div class="feed">{feed}{_screens(sandbox, user, key)}</div></main></body></html>'
    )


def add_routes(app: web.Application, sandbox: Sandbox) -> None:
    def user_for(request: web.Request) -> tuple[User, str]:
        if not sandbox.options.phone_view:
            raise web.HTTPNotFound(text="start the sandbox with --phone-view")
        key = request.match_info["key"]
        user = sandbox.world.find_user(key)
        if user is None:
            raise web.HTTPNotFound(text="no such user")
        return user, key

    async def show(request: web.Request) -> web.Response:
        user, key = user_for(request)
        return web.Response(text=page(sandbox, user, key), content_type="text/html")

    async def act(request: web.Request) -> web.Response:
        user, key = user_for(request)
        form = await request.post()
        action, cid = str(form.get("action", "")), str(form.get("channel", ""))
        if action in ("agree", "verify"):
            sandbox.user_acts_now(user)
        elif action in ("follow", "block"):
            channel = sandbox.world.channels.get(cid)
            if channel is None:
                raise web.HTTPBadRequest(text="unknown channel")
            sandbox.follow_event(channel, user, action == "follow")
        else:
            raise web.HTTPBadRequest(text="unknown action")
        raise web.HTTPSeeOther(f"/sandbox/phone/{quote(key)}")

    async def open_link(request: web.Request) -> web.Response:
        user, _key = user_for(request)
        url = request.query.get("url", "")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise web.HTTPBadRequest(text="give an http(s) url")
        if parts.hostname != "liff.line.me":
            raise web.HTTPSeeOther(url)
        liff_id = parts.path.strip("/").split("/")[0]
        channel = sandbox.world.channels.get(request.query.get("channel", ""))
        if channel is not None:
            link = user.link(channel.channel_id)
            if not (link and link.friend and not link.blocked):
                sandbox.follow_event(channel, user, True)  # LIFF's add-friend prompt, accepted
        token = request.app[ID_TOKENS].issue(
            uid=user.uid, client_id=liff_id.split("-")[0], name=user.display_name, now=sandbox.clock.now()
        )
        endpoint = sandbox.options.liff_endpoint or f"{sandbox.options.portal_url.rstrip('/')}/demo/bind/"
        query = [*parse_qsl(parts.query), ("id_token", token), ("liff_id", liff_id)]
        raise web.HTTPSeeOther(f"{endpoint}?{urlencode(query)}")

    app.router.add_get("/sandbox/phone/{key}", show)
    app.router.add_post("/sandbox/phone/{key}/act", act)
    app.router.add_get("/sandbox/phone/{key}/open", open_link)

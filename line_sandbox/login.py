"""LINE Login's ID tokens: the sandbox issues them to its users and verifies them as LINE does.

A LIFF page gets the user's ID token with ``liff.getIDToken()``; the server that receives it
asks LINE who it names with ``POST /oauth2/v2.1/verify`` (form fields ``id_token`` and
``client_id``, the LIFF app's LINE Login channel id). The sandbox stands in for both halves:
``POST /sandbox/users/id-token`` gives a simulated user a token for a channel, and the verify
endpoint answers with LINE's payload (``iss``, ``sub``, ``aud``, ``exp``, ``iat``, ``amr``,
``name``) or LINE's 400 (``invalid_request`` with a description).

Tokens are JWTs signed with HS256 under a key of this process (LINE signs LIFF tokens with
ES256; what matters here is that only the sandbox can make one and that it expires).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from aiohttp import web

from .server import Sandbox, bad_request, json_response, read_json
from .webhooks import dumps

ISSUER = "https://access.line.me"
LIFETIME = 3600  # LINE's ID tokens are valid for an hour


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class IdTokens:
    """Make and check the sandbox's ID tokens; the key lives as long as the process."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)

    def issue(self, *, uid: str, client_id: str, name: str, now: float) -> str:
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        claims = {
            "iss": ISSUER,
            "sub": uid,
            "aud": client_id,
            "exp": int(now) + LIFETIME,
            "iat": int(now),
            "amr": ["linesso"],
            "name": name,
        }
        payload = _b64(json.dumps(claims, ensure_ascii=False).encode())
        return f"{header}.{payload}.{self._sign(header, payload)}"

    def _sign(self, header: str, payload: str) -> str:
        return _b64(hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest())

    def verify(self, *, id_token: str, client_id: str, now: float) -> tuple[dict | None, str]:
        """Return (claims, "") for a good token, or (None, LINE's error description)."""
        parts = id_token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(self._sign(parts[0], parts[1]), parts[2]):
            return None, "Invalid IdToken."
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None, "Invalid IdToken."
        if claims.get("aud") != client_id:
            return None, "Invalid IdToken Audience."
        if claims.get("exp", 0) <= now:
            return None, "IdToken expired."
        return claims, ""


def _line_error(description: str) -> web.Response:
    return json_response(dumps({"error": "invalid_request", "error_description": description}), 400)


ID_TOKENS = web.AppKey("id_tokens", IdTokens)


def add_routes(app: web.Application, sandbox: Sandbox) -> None:
    tokens = app[ID_TOKENS] = IdTokens()

    async def verify(request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return _line_error("Content-Type must be application/x-www-form-urlencoded.")
        form = await request.post()
        id_token, client_id = form.get("id_token"), form.get("client_id")
        if not isinstance(id_token, str) or not id_token:
            return _line_error("Required parameter is missing: id_token")
        if not isinstance(client_id, str) or not client_id:
            return _line_error("Required parameter is missing: client_id")
        claims, error = tokens.verify(id_token=id_token, client_id=client_id, now=sandbox.clock.now())
        if claims is None:
            return _line_error(error)
        return json_response(dumps(claims), 200)

    async def issue(request: web.Request) -> web.Response:
        data = await read_json(request)
        key = data.get("uid") or data.get("phone") or data.get("user")
        user = sandbox.world.find_user(key) if isinstance(key, str) else None
        if user is None:
            return bad_request("unknown user (give uid or phone)")
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            return bad_request("give client_id: the LINE Login channel id of the LIFF app")
        now = sandbox.clock.now()
        token = tokens.issue(uid=user.uid, client_id=client_id, name=user.display_name, now=now)
        return json_response(dumps({"id_token": token, "uid": user.uid, "expires_in": LIFETIME}), 200)

    app.router.add_post("/oauth2/v2.1/verify", verify)
    app.router.add_post("/sandbox/users/id-token", issue)

"""The portal's side of LINE's Messaging API and the SMS vendors: every outbound request, and
the checks of what those systems send back (webhook signatures).

Nothing here imports a domain app: the modules read Django settings and nothing else, so
billing, binding and notifications can all use them. ``requests`` is imported here only.

* :mod:`integrations.http` — one pooled session per process;
* :mod:`integrations.line` — LINE's endpoints, with errors that say whether a retry is safe;
* :mod:`integrations.sms` — one module per SMS vendor behind one interface;
* :mod:`integrations.ratelimit` — the per-channel rate limit shared by every worker;
* :mod:`integrations.sending` — :func:`~integrations.sending.line_send_limited`, the one way to
  send to LINE within that limit;
* :mod:`integrations.signatures` — LINE's webhook signature.
"""

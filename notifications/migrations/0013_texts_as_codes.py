"""Give the timeline lines, reasons and webhook details written before codes their code and parameters.

Those rows hold the text in the language the worker ran in (English or Traditional Chinese).
Each text the portal wrote is matched here against its English and its Traditional Chinese
wording, frozen as they were, and given its code and parameters; what matches nothing (LINE's
or a vendor's answer, an exception) keeps its text and no code. The tables are read in id
batches and written with one UPDATE per batch and set of values (rows with values of their
own in one bulk update per batch), so a table of millions is never walked row by row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.db import migrations

BATCH = 5000

# The wordings each code was written in, English first.
WORDINGS: dict[str, tuple[str, ...]] = {
    "queued.plan": ("channel plan: %(plan)s", "發送管道順序：%(plan)s"),
    "delivered.channel": ("%(channel)s",),
    "retry.gave_up": ("gave up after %(n)d retries: %(error)s", "重試 %(n)d 次後放棄：%(error)s"),
    "pnp.accepted": ("LINE answered 200; waiting for the delivery event", "LINE 回應 200；等待送達事件"),
    "pnp.accepted_template": (
        "LINE accepted the template PNP (202); waiting for the delivery event",
        "LINE 已接受範本通知型訊息（202）；等待送達事件",
    ),
    "pnp.ambiguous": ("%(error)s; policy %(policy)s", "%(error)s；處理策略 %(policy)s"),
    "pnp.refused_422": (
        "LINE 422: not on LINE, or PNP turned off by the user (or LINE's privacy policy not accepted)",
    ),
    "delivered_twice.channel": (
        "%(channel)s delivered too; the member may have received the notice twice",
        "%(channel)s 也已送達；會員可能收到兩次通知",
    ),
    "delivered_twice.event": ("a second delivery event for the same PNP", "同一則 PNP 收到第二次送達事件"),
    "sms.sent": ("%(vendor)s message %(id)s, %(n)d segment(s)", "%(vendor)s 訊息 %(id)s，共 %(n)d 段"),
    "fallback.due": (
        "no delivery event within %(m)d minutes; sending the SMS",
        "%(m)d 分鐘內無送達事件；改發簡訊",
    ),
    "sms_now.sent": ("sent by SMS now at the request of %(actor)s", "應 %(actor)s 要求立即改發簡訊"),
    "final.no_channel": ("Not delivered on any channel.", "所有發送管道皆未送達。"),
    "final.all_tried": ("Every planned channel has been tried.", "所有預定的發送管道都已嘗試。"),
    "final.version_not_approved": (
        "Template version %(n)d is %(status)s: not sent.",
        "範本第 %(n)d 版目前為 %(status)s：未發送。",
    ),
    "final.sms_not_delivered": ("SMS not delivered: %(s)s", "簡訊未送達：%(s)s"),
    "final.expired": (
        "not delivered: no delivery event in 24 h (inferred: blocked, no consent or no SMS verification)",
        "未送達：24 小時內無送達事件（推定原因：已封鎖、未同意或未完成簡訊驗證）",
    ),
    # The webhook details were written in English only.
    "webhook.unmatched": ("no PNP with delivery tag '%(tag)s'", 'no PNP with delivery tag "%(tag)s"'),
    "webhook.duplicate": ("tag %(tag)s already delivered",),
    "webhook.delivered": ("notification %(id)d delivered",),
    "webhook.follow_no_user": ("follow without a user id",),
    "webhook.follows": ("%(uid)s… follows",),
    "webhook.unfollow_no_user": ("unfollow without a user id",),
    "webhook.blocked": ("%(uid)s… blocked the account",),
    "webhook.type_unused": ("type '%(type)s' is not used", 'type "%(type)s" is not used'),
    "welcome.queued": ("welcome queued",),
}

# A channel's label, in either language, back to the channel.
CHANNELS = {
    "LINE push (friend)": "line_push",
    "LINE 推播（好友）": "line_push",
    "LINE notification message (PNP)": "pnp",
    "LINE 通知型訊息（PNP）": "pnp",
    "SMS": "sms",
    "簡訊": "sms",
}

# Which codes a timeline line of each kind may have been written with.
EVENT_CODES: dict[str, tuple[str, ...]] = {
    "queued": ("queued.plan",),
    "sent_to_line": ("pnp.accepted", "pnp.accepted_template"),
    "line_refused": ("pnp.refused_422",),
    "line_error": ("retry.gave_up",),
    "ambiguous": ("pnp.ambiguous",),
    "delivered": ("delivered.channel",),
    "delivered_twice": ("delivered_twice.channel", "delivered_twice.event"),
    "fallback_due": ("fallback.due", "sms_now.sent"),
    "expired": ("final.expired",),
    "sms_sent": ("sms.sent",),
    "sms_failed": ("retry.gave_up",),
}
REASON_CODES = tuple(code for code in WORDINGS if code.startswith("final.")) + ("pnp.refused_422",)
# A "failed" line repeats the reason.
EVENT_CODES["failed"] = REASON_CODES
WEBHOOK_CODES = tuple(code for code in WORDINGS if code.startswith(("webhook.", "welcome.")))
# Results whose detail is someone else's words (an exception, why LINE's event was unreadable).
WEBHOOK_FOREIGN_RESULTS = ("failed", "rejected")


def _pattern(wording: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)([sd])", wording)
    regex = ""
    for index, part in enumerate(parts):
        if index % 3 == 0:
            regex += re.escape(part)
        elif index % 3 == 1:
            kind = parts[index + 1]
            regex += f"(?P<{part}>-?\\d+)" if kind == "d" else f"(?P<{part}>.+?)"
    return re.compile(f"^{regex}$", re.DOTALL)


PATTERNS: dict[str, list[tuple[re.Pattern[str], set[str]]]] = {
    code: [(_pattern(w), set(re.findall(r"%\((\w+)\)d", w))) for w in wordings] for code, wordings in WORDINGS.items()
}


def text_match(value: str, codes: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
    """The code and parameters ``value`` was written from, among ``codes``, or None."""
    for code in codes:
        for pattern, numbers in PATTERNS[code]:
            found = pattern.match(value)
            if found is None:
                continue
            params: dict[str, Any] = {
                name: int(v) if name in numbers else v for name, v in found.groupdict().items()
            }
            if "channel" in params:
                channel = CHANNELS.get(params["channel"])
                if channel is None:
                    continue
                params["channel"] = channel
            return code, params
    return None


def webhook_match(value: str, result: str) -> tuple[str, dict[str, Any]] | None:
    """A webhook event's detail: one text, or the texts of several handlers joined by "; "."""
    if result in WEBHOOK_FOREIGN_RESULTS:
        return None
    whole = text_match(value, WEBHOOK_CODES)
    if whole is not None:
        return whole
    items = []
    for part in value.split("; "):
        found = text_match(part, WEBHOOK_CODES)
        if found is None:
            return None
        items.append({"code": found[0], "params": found[1], "text": part})
    return ("list", {"items": items}) if len(items) > 1 else None


def _convert(model: Any, text_field: str, code_field: str, params_field: str, by: str, match: Any) -> None:
    """Walk ``model`` in id batches and give each matching text its code and parameters."""
    rows = model.objects.filter(**{code_field: ""}).exclude(**{text_field: ""}).order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).values_list("pk", text_field, by)[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        values: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        for pk, value, key in batch:
            found = match(value, key)
            if found is None:
                continue
            group = (found[0], repr(sorted(found[1].items())))
            groups[group].append(pk)
            values[group] = found
        alone = []
        for group, ids in groups.items():
            code, params = values[group]
            if len(ids) > 1:
                model.objects.filter(pk__in=ids).update(**{code_field: code, params_field: params})
            else:
                alone.append(model(pk=ids[0], **{code_field: code, params_field: params}))
        model.objects.bulk_update(alone, [code_field, params_field], batch_size=1000)


def texts_to_codes(apps: Any, schema_editor: Any) -> None:
    _convert(
        apps.get_model("notifications", "NotificationEvent"),
        "detail",
        "detail_code",
        "detail_params",
        "kind",
        lambda value, kind: text_match(value, EVENT_CODES.get(kind, ())),
    )
    _convert(
        apps.get_model("notifications", "Notification"),
        "final_reason",
        "final_reason_code",
        "final_reason_params",
        "status",
        lambda value, _status: text_match(value, REASON_CODES),
    )
    _convert(
        apps.get_model("notifications", "WebhookEvent"),
        "detail",
        "detail_code",
        "detail_params",
        "result",
        webhook_match,
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0012_reader_language_texts")]

    operations = [migrations.RunPython(texts_to_codes, migrations.RunPython.noop, elidable=True)]

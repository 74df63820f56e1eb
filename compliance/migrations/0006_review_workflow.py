"""Findings stored as a code and parameters, overrules with four eyes, lock takeover, mails.

The data step maps each stored rule message (English or Traditional Chinese, whichever
language the check ran in) back to its code and parameters where the text matches one of
``compliance.findings.MESSAGES``; a text that matches none keeps no code and is shown as it
was stored. Versions in review get ``locked_at`` from when their review started.
"""

import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import translation

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])")


def _pattern(template: str) -> tuple[re.Pattern[str], dict[str, str]]:
    kinds: dict[str, str] = {}
    out, pos = [], 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos : match.start()]))
        name, kind = match.groups()
        if name in kinds:
            out.append(f"(?P={name})")
        else:
            kinds[name] = kind
            out.append(rf"(?P<{name}>-?\d+)" if kind == "d" else rf"(?P<{name}>.*?)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.DOTALL), kinds


def _patterns() -> list[tuple[str, re.Pattern[str], dict[str, str]]]:
    from compliance.findings import MESSAGES

    found = []
    for language in ("en", "zh-hant"):
        with translation.override(language):
            for code, message in MESSAGES.items():
                pattern, kinds = _pattern(str(message))
                found.append((code, pattern, kinds))
    return found


def _match(text: str, patterns: list[tuple[str, re.Pattern[str], dict[str, str]]]) -> tuple[str, dict] | None:
    for code, pattern, kinds in patterns:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params: dict = {}
        for name, kind in kinds.items():
            value = match.group(name)
            if kind == "d":
                params[name] = int(value)
            elif kind == "r":
                params[name] = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value
            else:
                params[name] = value
        return code, params
    return None


def findings_to_codes(apps, schema_editor):
    RuleResult = apps.get_model("compliance", "RuleResult")
    TemplateVersion = apps.get_model("compliance", "TemplateVersion")
    patterns = _patterns()
    for result in RuleResult.objects.exclude(message="").iterator(chunk_size=500):
        text = result.message
        matched = None
        if "; " in text:  # a check that listed several problems, each one of the messages
            items = [_match(part, patterns) for part in text.split("; ")]
            if all(items):
                matched = ("list", {"items": [{"message": c, "params": p, "text": ""} for c, p in items]})
        if matched is None:
            matched = _match(text, patterns)
        if matched is not None:
            result.message_code, result.message_params = matched
            result.save(update_fields=["message_code", "message_params"])
    for version in TemplateVersion.objects.filter(status="in_review", locked_to__isnull=False):
        version.locked_at = version.lock_active_at = version.review_started_at or version.updated_at
        version.save(update_fields=["locked_at", "lock_active_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("compliance", "0005_advertising_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ruleresult',
            name='message_code',
            field=models.CharField(blank=True, max_length=60, verbose_name='message code'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='message_params',
            field=models.JSONField(blank=True, default=dict, verbose_name='message parameters'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overrule_confirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='overrule confirmed at'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overrule_confirmed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='overrule confirmed by'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overrule_note',
            field=models.TextField(blank=True, verbose_name='overrule note'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overrule_reason',
            field=models.CharField(blank=True, choices=[('service_name', 'A service or product name, not an offer (e.g. 限時掛號)'), ('own_transaction', "States a fact of the member's own transaction"), ('legal_notice', 'Wording required by law or by a regulator'), ('check_misread', 'The check misread the text (wrong match)'), ('line_approved', "LINE approved this wording in the brand's application"), ('other', 'Other (see note)')], max_length=20, verbose_name='overrule reason'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overruled_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='overruled at'),
        ),
        migrations.AddField(
            model_name='ruleresult',
            name='overruled_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='overruled by'),
        ),
        migrations.AddField(
            model_name='templateversion',
            name='author_language',
            field=models.CharField(blank=True, help_text='The language the author submitted in; e-mails to the author use it.', max_length=16, verbose_name="author's language"),
        ),
        migrations.AddField(
            model_name='templateversion',
            name='lock_active_at',
            field=models.DateTimeField(blank=True, help_text="The holder's last action; after the idle time another reviewer may take the review over.", null=True, verbose_name='last review activity'),
        ),
        migrations.AddField(
            model_name='templateversion',
            name='locked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='in review by them since'),
        ),
        migrations.RunPython(findings_to_codes, migrations.RunPython.noop),
    ]

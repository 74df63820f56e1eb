"""Charts as server-rendered SVG: no script, no CDN; every bar carries its value in a tooltip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#06c755", "#2f6fdf", "#e0a100", "#c0392b", "#7f8c8d")


def stacked_bars(
    *,
    labels: Sequence[date],
    series: Sequence[tuple[str, Sequence[int | float]]],
    title: str,
    width: int = 860,
    height: int = 240,
) -> SafeString:
    """Return an SVG stacked bar chart: one bar per day, one colour per series, a legend and an axis."""
    left, right, top, bottom = 48, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = plot_w / max(len(labels), 1)
    bar = max(1.0, step * 0.75)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
            f"{escape(_short(peak * fraction))}</text>"
        )
    label_every = 1 if len(labels) <= 16 else max(1, len(labels) // 10)
    for i, day in enumerate(labels):
        x = left + i * step + (step - bar) / 2
        y = top + plot_h
        for index, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = value / peak * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{day.isoformat()} {escape(name)}: '
                f"{escape(_short(value))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle" '
                f'fill="#555">{day.month}/{day.day}</text>'
            )
    legend_x = left
    for index, (name, _values) in enumerate(series):
        parts.append(
            f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{legend_x + 14}" y="17" font-size="11" fill="#333">{escape(name)}</text>'
        )
        legend_x += 30 + 7 * len(str(name))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def horizontal_bars(*, rows: Sequence[tuple[str, int]], title: str, width: int = 560) -> SafeString:
    """Return an SVG of labelled horizontal bars (a histogram or a breakdown)."""
    row_h = 22
    label_w = min(360, 40 + 6 * max((len(label) for label, _n in rows), default=10))
    height = max(1, len(rows)) * row_h + 8
    peak = max((n for _label, n in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, n) in enumerate(rows):
        y = 4 + i * row_h
        w = n / peak * (width - label_w - 60)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 11}" font-size="11" text-anchor="end" fill="#333">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="14" fill="{PALETTE[1]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" font-size="11" fill="#333">{n:,}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"

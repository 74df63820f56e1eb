"""Charts as server-rendered SVG: no script, no CDN, readable without colour (values in titles)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html
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
    """Return an SVG stacked bar chart: one bar per day, one colour per series, a legend and axis."""
    left, right, top, bottom = 48, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = plot_w / max(len(labels), 1)
    bar = max(1.0, step * 0.75)
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">',
            width,
            height,
            title,
        ),
        format_html("<title>{}</title>", title),
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#ddd"/>'
                '<text x="{}" y="{:.1f}" font-size="11" text-anchor="end" fill="#555">{}</text>',
                left,
                width - right,
                y,
                y,
                left - 6,
                y + 4,
                _short(peak * fraction),
            )
        )
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
                format_html(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{} {}: {}</title></rect>",
                    x,
                    y,
                    bar,
                    h,
                    PALETTE[index % len(PALETTE)],
                    day.isoformat(),
                    name,
                    _short(value),
                )
            )
        if len(labels) <= 16 or i % max(1, len(labels) // 10) == 0:
            parts.append(
                format_html(
                    '<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle" fill="#555">{}</text>',
                    x + bar / 2,
                    height - bottom + 14,
                    f"{day.month}/{day.day}",
                )
            )
    legend_x = left
    for index, (name, _values) in enumerate(series):
        parts.append(
            format_html(
                '<rect x="{}" y="8" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="17" font-size="11" fill="#333">{}</text>',
                legend_x,
                PALETTE[index % len(PALETTE)],
                legend_x + 14,
                name,
            )
        )
        legend_x += 22 + 7 * len(str(name))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def horizontal_bars(*, rows: Sequence[tuple[str, int]], title: str, width: int = 420) -> SafeString:
    """Return an SVG of labelled horizontal bars (a histogram or a breakdown)."""
    row_h, label_w = 22, 150
    height = max(1, len(rows)) * row_h + 8
    peak = max((n for _l, n in rows), default=0) or 1
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">',
            width,
            height,
            title,
        )
    ]
    for i, (label, n) in enumerate(rows):
        y = 4 + i * row_h
        w = n / peak * (width - label_w - 60)
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333">{}</text>'
                '<rect x="{}" y="{}" width="{:.1f}" height="14" fill="{}"/>'
                '<text x="{:.1f}" y="{}" font-size="11" fill="#333">{}</text>',
                label_w - 6,
                y + 11,
                label,
                label_w,
                y,
                w,
                PALETTE[1],
                label_w + w + 4,
                y + 11,
                f"{n:,}",
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"

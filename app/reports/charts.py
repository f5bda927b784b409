"""Small inline SVG charts for the monthly summary — drawn here, no JavaScript, nothing fetched.

Pure functions: numbers in, SVG markup out (safe for Jinja2 autoescaping).
Every chart is a `role="img"` with a title; the same numbers are always in a
table next to it, so the chart is never the only way to read them (WCAG 1.1.1).
Colours are dark enough on white for print and for contrast (WCAG 1.4.11).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#1f4e79"
HIGHLIGHT = "#b8432f"
AXIS = "#555555"
TEXT = "#222222"
# A presentation attribute, not a style attribute: the staff pages' policy refuses inline styles.
FONT = 'font-family="DejaVu Sans, sans-serif"'


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def _scale(values: Sequence[int]) -> int:
    return max(max(values, default=0), 1)


def _desc(desc: str | None) -> str:
    return f"<desc>{escape(desc)}</desc>" if desc else ""


def column_chart(title: str, labels: Sequence[str], values: Sequence[int], *, highlight_last: bool = True,
                 width: int = 320, height: int = 150, desc: str | None = None) -> Markup:
    """Vertical bars with the value above each bar and the label below (e.g. a 12-month trend)."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    top, bottom, left, right = 22, 18, 4, 4
    plot_h = height - top - bottom
    n = max(len(values), 1)
    slot = (width - left - right) / n
    bar_w = slot * 0.68
    peak = _scale(values)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart">',
        f"<title>{escape(title)}</title>{_desc(desc)}",
        f'<text x="{left}" y="11" font-size="10" font-weight="bold" fill="{TEXT}" {FONT}>'
        f"{escape(title)}</text>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{AXIS}" stroke-width="0.8"/>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * value / peak
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h - bar_h
        colour = HIGHLIGHT if highlight_last and index == len(values) - 1 else BAR
        centre = x + bar_w / 2
        if value:
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{centre:.1f}" y="{y - 2:.1f}" font-size="7.5" text-anchor="middle" '
                     f'fill="{TEXT}" {FONT}>{_number(value)}</text>')
        parts.append(f'<text x="{centre:.1f}" y="{height - 5}" font-size="7" text-anchor="middle" '
                     f'fill="{AXIS}" {FONT}>{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], *, width: int = 480,
              row_height: int = 15, label_width: int = 190, desc: str | None = None) -> Markup:
    """Horizontal bars, one row per category, the value after the bar (e.g. cases closed by outcome)."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    top = 18
    height = top + row_height * len(values) + 4
    peak = _scale(values)
    plot_w = width - label_width - 36
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart">',
        f"<title>{escape(title)}</title>{_desc(desc)}",
        f'<text x="0" y="11" font-size="10" font-weight="bold" fill="{TEXT}" {FONT}>{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * row_height
        bar_w = plot_w * value / peak
        parts.append(f'<text x="{label_width - 6}" y="{y + row_height * 0.7:.1f}" font-size="8" '
                     f'text-anchor="end" fill="{TEXT}" {FONT}>{escape(label)}</text>')
        if value:
            parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{bar_w:.1f}" height="{row_height - 5}" '
                         f'fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + bar_w + 4:.1f}" y="{y + row_height * 0.7:.1f}" font-size="8" '
                     f'fill="{TEXT}" {FONT}>{_number(value)}</text>')
    parts.append(f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - 4}" stroke="{AXIS}" '
                 f'stroke-width="0.8"/>')
    parts.append("</svg>")
    return Markup("".join(parts))

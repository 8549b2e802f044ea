"""Server-rendered SVG charts (no scripts): horizontal bars a reader takes in at a glance, each bar labelled
with its value; the numbers also stand in a table beside the chart. Every text is escaped."""

from markupsafe import Markup, escape

ROW = 26
LABEL_W = 300
BAR_W = 360
PAD = 8
COLOURS = ("#2f6f9f", "#c0392b", "#7f8c8d", "#27ae60", "#e67e22", "#8e44ad")


def _short(text: str, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(rows: list[dict], series: list[tuple[str, str]], title: str, unit: str = "") -> Markup:
    """Grouped horizontal bars: one row per ``rows`` item (its ``label``), one bar per series (key, legend)."""
    rows = rows or []
    peak = max([float(r.get(k) or 0) for r in rows for k, _ in series] + [1.0])
    per_row = ROW * len(series) + PAD
    legend_h = 22
    height = legend_h + max(len(rows), 1) * per_row + PAD
    width = LABEL_W + BAR_W + 90
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    x = LABEL_W
    for n, (_key, legend) in enumerate(series):
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[n % len(COLOURS)]}"/>')
        out.append(f'<text x="{x + 16}" y="14" font-size="12">{escape(legend)}</text>')
        x += 24 + 8 * len(str(legend))
    if not rows:
        out.append(f'<text x="{LABEL_W}" y="{legend_h + 18}" font-size="13" fill="#555">—</text>')
    for i, row in enumerate(rows):
        top = legend_h + i * per_row
        out.append(
            f'<text x="{LABEL_W - 8}" y="{top + per_row / 2 + 4:.0f}" font-size="12" text-anchor="end">'
            f"<title>{escape(row['label'])}</title>{escape(_short(row['label']))}</text>"
        )
        for n, (key, legend) in enumerate(series):
            value = float(row.get(key) or 0)
            w = 0 if peak == 0 else max(BAR_W * value / peak, 1 if value else 0)
            y = top + n * ROW + 3
            shown = f"{value:g}{unit}"
            out.append(
                f'<rect class="bar" x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{ROW - 8}" '
                f'fill="{COLOURS[n % len(COLOURS)]}"><title>{escape(legend)}: {escape(shown)}</title></rect>'
            )
            out.append(
                f'<text x="{LABEL_W + w + 6:.1f}" y="{y + ROW / 2 + 1:.0f}" font-size="12">{escape(shown)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))

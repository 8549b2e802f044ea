"""Small SVG pieces shared by the shapes and edges: escaping, numbers, wrapped text, icons, colours."""

from __future__ import annotations

import math

FONT = "sans-serif"
FONT_SIZE = 12
LINE_H = 14.0
CHAR_W = 6.6  # average advance of a 12px sans-serif glyph (Latin and Cyrillic)
MARGIN = 20
LABEL_W = 100  # wrap width of labels placed outside their shape

INK = "#22242a"
PAPER = "#ffffff"
NORMAL = (PAPER, INK, 0.0)
COMPLETED = ("#e3f4e6", "#2e7d32", 0.0)
ACTIVE = ("#fff1dc", "#e8710a", 2.0)
TAKEN_STROKE = "#2e7d32"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _n(v: float) -> str:
    r = round(v, 2)
    if r == int(r):
        return str(int(r))
    return f"{r:.2f}".rstrip("0").rstrip(".")


def _pts(points) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _wrap(text: str, width: float, max_lines: int | None = None) -> list:
    """Greedy word wrap by approximate glyph width; long words are cut."""
    max_chars = max(1, int(width // CHAR_W))
    lines: list = []
    for para in text.replace("\r\n", "\n").split("\n"):
        cur = ""
        for word in para.split():
            while len(word) > max_chars:
                if cur:
                    lines.append(cur)
                    cur = ""
                lines.append(word[:max_chars])
                word = word[max_chars:]
            cand = f"{cur} {word}" if cur else word
            if len(cand) <= max_chars:
                cur = cand
            else:
                lines.append(cur)
                cur = word
        if cur:
            lines.append(cur)
    if max_lines is not None and len(lines) > max_lines:
        if max_lines < 1:
            return []
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, max_chars - 1)].rstrip() + "\u2026"
    return lines


def _text(lines: list, x: float, top: float, anchor: str = "middle", transform: str = "") -> str:
    if not lines:
        return ""
    tr = f' transform="{transform}"' if transform else ""
    out = [
        f'<text x="{_n(x)}" y="{_n(top + LINE_H * 0.76)}" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}" fill="{INK}" text-anchor="{anchor}"{tr}>'
    ]
    for i, line in enumerate(lines):
        out.append(f'<tspan x="{_n(x)}" y="{_n(top + i * LINE_H + LINE_H * 0.76)}">{_esc(line)}</tspan>')
    out.append("</text>")
    return "".join(out)


def _centered_text(
    text: str, cx: float, cy: float, width: float, max_lines: int | None = None, transform: str = ""
) -> str:
    lines = _wrap(text, width, max_lines)
    return _text(lines, cx, cy - len(lines) * LINE_H / 2, transform=transform)


def _label_in(text: str, box) -> str:
    """A label inside BPMNLabel bounds: centred, top-aligned when too tall."""
    x, y, w, h = box
    # the bounds were sized with the modeller's font metrics: allow some slack
    # and never cut a word that the modeller kept on one line
    longest = max((len(word) for word in text.split()), default=1)
    lines = _wrap(text, max(w * 1.1, longest * CHAR_W + 1, 30))
    top = y + max(0.0, (h - len(lines) * LINE_H) / 2)
    return _text(lines, x + w / 2, top)


def _external_label(rec: dict, name: str) -> str:
    if not name:
        return ""
    if rec["label"] is not None:
        return _label_in(name, rec["label"])
    x, y, w, h = rec["b"]
    return _text(_wrap(name, LABEL_W), x + w / 2, y + h + 4)


def _icon(x: float, y: float, body: str) -> str:
    return f'<g transform="translate({_n(x)} {_n(y)})">{body}</g>'


# The tooltip of an unnamed element: what it is, in words (its id is a modeller's code, never shown to people).
KIND_TITLES = {
    "sequenceFlow": "Переход",
    "messageFlow": "Поток сообщений",
    "association": "Связь",
    "exclusiveGateway": "Развилка",
    "inclusiveGateway": "Развилка (одна или несколько ветвей)",
    "parallelGateway": "Параллельное выполнение",
    "eventBasedGateway": "Ожидание события",
    "complexGateway": "Развилка",
    "startEvent": "Начало",
    "endEvent": "Завершение",
    "intermediateCatchEvent": "Ожидание",
    "intermediateThrowEvent": "Событие",
    "boundaryEvent": "Событие на границе шага",
    "textAnnotation": "Примечание",
    "dataObjectReference": "Данные",
    "dataStoreReference": "Хранилище данных",
    "participant": "Участник",
    "lane": "Исполнитель",
    "group": "Группа",
    "subProcess": "Подпроцесс",
    "callActivity": "Вызов процесса",
}


def _open_group(bid: str, classes: list, kind: str, title: str) -> str:
    title = title or KIND_TITLES.get(kind, "Шаг" if kind.endswith(("task", "Task")) else "Элемент схемы")
    return (
        f'<g id="el-{_esc(bid)}" class="{_esc(" ".join(classes))}" '
        f'data-bpmn-type="{_esc(kind)}"><title>{_esc(title)}</title>'
    )


def _polygon_points(cx: float, cy: float, r: float, n: int, start_deg: float = -90.0):
    return [
        (
            cx + r * math.cos(math.radians(start_deg + 360.0 * k / n)),
            cy + r * math.sin(math.radians(start_deg + 360.0 * k / n)),
        )
        for k in range(n)
    ]


def _gear_path() -> str:
    pts, n = [], 8
    step = 2 * math.pi / n
    for i in range(n):
        a = i * step
        for r, da in ((5.2, -0.5), (7.6, -0.22), (7.6, 0.22), (5.2, 0.5)):
            pts.append((8 + r * math.cos(a + da * step), 8 + r * math.sin(a + da * step)))
    return "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in pts) + " Z"


def _clock_ticks() -> str:
    segs = []
    for k in range(12):
        a = math.radians(30 * k)
        segs.append(f"M{_n(8 * math.cos(a))},{_n(8 * math.sin(a))} L{_n(10.5 * math.cos(a))},{_n(10.5 * math.sin(a))}")
    return " ".join(segs)


_GEAR = _gear_path()
_TICKS = _clock_ticks()
_PENTAGON = _pts(_polygon_points(0, 0, 9, 5))
_CROSS = "M-3,-10 L3,-10 L3,-3 L10,-3 L10,3 L3,3 L3,10 L-3,10 L-3,3 L-10,3 L-10,-3 L-3,-3 Z"

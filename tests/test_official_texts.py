"""The UI speaks as the acts do (issue #19, "Texts"): every text a person reads in templates, BPMN names, forms
and the Russian catalogs is scanned for the variants the acts do not use, and every user task of the chains says
who acts."""

import json
import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"

# forbidden variant -> what the acts say
FORBIDDEN = {
    r"(?<![«\"])\b[Кк]олледж\w*": "«ПОО» / «профессиональная образовательная организация»",
    r"\b[Кк]адров\w+ дел[оауе]\w*": "«дело по кадровому обеспечению инвестиционного проекта»",
    r"\b(?:9|11|девят\w+|одиннадцат\w+) класс\w*": "«на базе основного общего / среднего общего образования»",
    r"\b[Сс]редн(?!емесячн)\w* (?:заработн\w+ плат\w*|зарплат\w*)": "«Среднемесячная заработная плата»",
    r"\b20\d\d-?Q[1-4]\b|\bQ[1-4] 20\d\d\b|\b\d ?кв\.": "«II квартал 2027 г.»",
    r"\b[Оо]публиков\w*": "«разместить в открытых источниках»",
    r"Департамент\w* промышленности(?! и энергетики)": "«Департамент промышленности и энергетики …»",
    r"Департамент\w* труда(?! и занятости населения)": "«Департамент труда и занятости населения …»",
    r"Координационн\w+ совет\w* Томской области": "«Координационный совет по кадровому обеспечению экономики …»",
}
# option labels of a decision: the acts record the outcome, «Согласовано / Не согласовано»
FORBIDDEN_OPTIONS = {r"^(?:Не )?[Сс]огласовать\b": "«Согласовано» / «Не согласовано»"}
# who acts, as a user task's name says it
ACTORS = re.compile(
    r"ПОО|ДепПО|ДТЗН|Департамент|департамент|Координатор|[Сс]овет|Рабоч\w+ групп|инвестор|центр\w* занятости"
    r"|Правов\w+ управлени|Управление делами|Губернатор|проектн\w+ офис|учредител|заявител|начальника"
)
CHAINS = ("kcp_campaign", "kcp_request", "professions_cycle", "professions_proposal", "investor_case")


def _texts():
    """(where, text) of every text a person reads in the scanned sources."""
    for path in sorted((ROOT / "workflow_app" / "web" / "templates").rglob("*.html")):
        text = re.sub(r"\{[{%#].*?[}%#]\}", " ", path.read_text(encoding="utf-8"), flags=re.S)  # Jinja out
        yield path.name, re.sub(r"<[^>]+>", " ", text)
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        tree = etree.parse(str(path))
        for el in tree.iter():
            if el.get("name") and not str(el.tag).endswith("}lane") and not str(el.tag).endswith("}property"):
                yield f"{path.name}#{el.get('id')}", el.get("name")
            if str(el.tag) == f"{BPMN}documentation" and el.text:
                yield f"{path.name}#{el.getparent().get('id')}", el.text
    for path in sorted((ROOT / "forms").rglob("*.json")):
        for where, text in _json_strings(json.loads(path.read_text(encoding="utf-8")), path.name):
            yield where, text
    for path in sorted((ROOT / "workflow_app" / "translations" / "ru" / "LC_MESSAGES").glob("*.po")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("msgstr"):
                yield f"{path.name}:{n}", line


def _json_strings(node, where):
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("enum", "const", "pattern", "$schema", "format", "widget", "type", "required"):
                yield from _json_strings(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _json_strings(value, where)
    elif isinstance(node, str):
        yield where, node


def _option_labels(node, where):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enumNames" and isinstance(value, list):
                yield from ((where, v) for v in value if isinstance(v, str))
            elif key in ("oneOf", "anyOf") and isinstance(value, list):
                yield from ((where, v["title"]) for v in value if isinstance(v, dict) and "title" in v)
            else:
                yield from _option_labels(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _option_labels(value, where)


def test_no_text_uses_a_variant_the_acts_do_not_use():
    found = [
        (where, re.search(pattern, text).group(0), official)
        for where, text in _texts()
        for pattern, official in FORBIDDEN.items()
        if re.search(pattern, text)
    ]
    assert found == []


def test_decision_options_are_recorded_outcomes():
    found = [
        (where, label, official)
        for path in sorted((ROOT / "forms").rglob("*.json"))
        for where, label in _option_labels(json.loads(path.read_text(encoding="utf-8")), path.name)
        for pattern, official in FORBIDDEN_OPTIONS.items()
        if re.search(pattern, label)
    ]
    assert found == []


def test_every_user_task_of_the_chains_says_who_acts():
    silent = []
    for process in CHAINS:
        tree = etree.parse(str(ROOT / "bpmn" / f"{process}.bpmn"))
        for task in tree.iter(f"{BPMN}userTask"):
            if not ACTORS.search(task.get("name") or ""):
                silent.append((process, task.get("id"), task.get("name")))
    assert silent == []


def test_the_scan_finds_what_it_forbids():
    """The patterns are not vacuous: each catches the variant it is written for."""
    samples = [
        "Заявка колледжа",
        "Открытие кадрового дела",
        "на базе 9 классов",
        "Средняя заработная плата",
        "2027-Q2",
        "Опубликовать перечень",
        "Департамент промышленности Томской области",
        "Департамент труда Томской области",
    ]
    for sample in samples:
        assert any(re.search(p, sample) for p in FORBIDDEN), sample
    assert re.search(next(iter(FORBIDDEN_OPTIONS)), "Не согласовать")
    assert not any(re.search(p, "Томский музыкальный «колледж»") for p in list(FORBIDDEN)[:1])
    assert ACTORS.search("Оценка заявки департаментом — учредителем ПОО") and not ACTORS.search(
        "Подписать распоряжение"
    )

"""Tests for workflow_app/formkit/ and templates/forms/_macros.html (self-contained: no conftest)."""

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.datastructures import MultiDict

from workflow_app.formkit import (
    FieldError,
    FormError,
    apply_computed,
    check_form_schema,
    decision_options,
    errors_to_dict,
    load_form,
    parse_form_post,
    validate,
)
from workflow_app.formkit.messages import _path_key

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "workflow_app" / "web" / "templates"
PO_PART = ROOT / "translations" / "ru" / "LC_MESSAGES" / "forms.po.part"
APP_CATALOGS = ROOT / "workflow_app" / "translations" / "ru" / "LC_MESSAGES"

VALID_INN = "7707083893"
VALID_INN_12 = "500100732259"
VALID_OGRN = "1027700132195"

# A realistic "request to change the admission quota (КЦП)" form.
KCP_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Заявка на изменение КЦП",
    "description": "Запрос образовательной организации на изменение контрольных цифр приёма",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "organisation": {
            "type": "string",
            "title": "Организация",
            "description": "Полное наименование",
            "minLength": 3,
            "maxLength": 300,
            "x-ui": {"order": 1, "placeholder": "ОГБПОУ «...»"},
        },
        "inn": {
            "type": "string",
            "title": "ИНН",
            "description": "10 или 12 цифр",
            "format": "inn",
            "x-ui": {"order": 2},
        },
        "ogrn": {"type": "string", "title": "ОГРН", "format": "ogrn", "x-ui": {"order": 3}},
        "email": {"type": "string", "title": "Электронная почта", "format": "email", "x-ui": {"order": 4}},
        "reg_number": {
            "type": "string",
            "title": "Рег. номер",
            "pattern": "^[0-9]{4}-[0-9]{2}$",
            "x-messages": {"pattern": "Номер вида 0001-24"},
            "x-ui": {"order": 5},
        },
        "deadline": {"type": "string", "title": "Желаемый срок", "format": "date", "x-ui": {"order": 6}},
        "level": {
            "type": "string",
            "title": "Уровень образования",
            "enum": ["spo", "vo"],
            "x-ui": {"widget": "radio", "enumNames": ["СПО", "ВО"], "order": 7},
        },
        "funding": {
            "type": "string",
            "title": "Источник финансирования",
            "x-ui": {"order": 8},
            "oneOf": [
                {"const": "region", "title": "Областной бюджет"},
                {"const": "federal", "title": "Федеральный бюджет"},
            ],
        },
        "lines": {
            "type": "array",
            "title": "Строки заявки",
            "minItems": 1,
            "x-ui": {"order": 9},
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "programme_code": {"type": "string", "title": "Код программы", "format": "programme-code"},
                    "current_kcp": {"type": "integer", "title": "Текущие КЦП", "minimum": 0},
                    "requested_kcp": {"type": "integer", "title": "Запрошенные КЦП", "minimum": 0},
                    "delta": {
                        "type": "integer",
                        "title": "Изменение",
                        "x-compute": {"sub": ["requested_kcp", "current_kcp"]},
                    },
                    "justification": {"type": "string", "title": "Обоснование", "x-ui": {"widget": "textarea"}},
                    "priority": {"type": "boolean", "title": "Приоритетная"},
                },
                "required": ["programme_code", "current_kcp", "requested_kcp"],
                "if": {"properties": {"delta": {"exclusiveMinimum": 0}}, "required": ["delta"]},
                "then": {"required": ["justification"]},
            },
        },
        "total_delta": {
            "type": "integer",
            "title": "Итого изменение",
            "x-compute": {"sum": ["lines", "delta"]},
            "x-ui": {"order": 10},
        },
        "tags": {
            "type": "array",
            "title": "Отметки",
            "uniqueItems": True,
            "x-ui": {"order": 11},
            "items": {"type": "string", "enum": ["urgent", "new_programme"]},
        },
        "agree": {"type": "boolean", "title": "Данные проверены", "const": True, "x-ui": {"order": 12}},
        "attachment": {"type": "string", "title": "Обоснование (файл)", "x-ui": {"widget": "file", "order": 13}},
        "registry_id": {"type": "string", "title": "Номер в реестре", "x-ui": {"readonly": True, "order": 14}},
        "case_id": {"type": "string", "x-ui": {"widget": "hidden"}},
        "comment": {
            "type": "string",
            "title": "Комментарий",
            "maxLength": 20,
            "x-ui": {"widget": "textarea", "order": 15},
        },
        "decision": {
            "type": "string",
            "title": "Решение",
            "enum": ["approve", "return", "reject"],
            "x-ui": {"widget": "buttons", "enumNames": ["Согласовать", "Вернуть на доработку", "Отклонить"]},
        },
    },
    "required": ["organisation", "inn", "lines", "decision"],
}


def valid_data():
    return {
        "organisation": "ОГБПОУ «Томский техникум»",
        "inn": VALID_INN,
        "ogrn": VALID_OGRN,
        "email": "priem@example.ru",
        "reg_number": "0001-24",
        "deadline": "2025-05-12",
        "level": "spo",
        "funding": "region",
        "lines": [
            {"programme_code": "09.02.07", "current_kcp": 25, "requested_kcp": 30, "justification": "Рост спроса"},
            {"programme_code": "15.02.10", "current_kcp": 50, "requested_kcp": 40, "priority": True},
        ],
        "tags": ["urgent"],
        "agree": True,
        "decision": "approve",
    }


def pairs(errors):
    return [(e.path, e.code) for e in errors]


@pytest.fixture
def schema():
    return copy.deepcopy(KCP_SCHEMA)


# --- schema checking and loading ------------------------------------------------


def test_schema_is_a_valid_form(schema):
    check_form_schema(schema)


def test_load_form(tmp_path, schema):
    (tmp_path / "kcp_request.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    assert load_form(tmp_path, "kcp_request") == schema
    assert load_form(str(tmp_path), "kcp_request")["title"] == "Заявка на изменение КЦП"


@pytest.mark.parametrize("key", ["../etc/passwd", "Kcp", "kcp-request", "", "kcp.json", "a/b", "кцп", None])
def test_load_form_rejects_unsafe_keys(tmp_path, key):
    with pytest.raises(FormError, match="invalid form key"):
        load_form(tmp_path, key)


def test_load_form_unknown_and_broken(tmp_path):
    with pytest.raises(FormError, match="unknown form"):
        load_form(tmp_path, "nope")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FormError, match="not valid JSON"):
        load_form(tmp_path, "broken")
    (tmp_path / "bad_schema.json").write_text('{"title": "x", "type": 5, "properties": {}}', encoding="utf-8")
    with pytest.raises(FormError, match="invalid JSON Schema"):
        load_form(tmp_path, "bad_schema")


def _broken(mutate):
    s = copy.deepcopy(KCP_SCHEMA)
    mutate(s)
    return s


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s.update(type="array"), '"type": "object"'),
        (lambda s: s.pop("title"), '"title"'),
        (lambda s: s.update({"$schema": "http://json-schema.org/draft-07/schema#"}), "2020-12"),
        (lambda s: s["properties"]["inn"].update(pattern="(unclosed"), "invalid JSON Schema"),
        (lambda s: s["properties"]["inn"].update({"x-ui": {"widget": "slider"}}), "unknown widget"),
        (lambda s: s["properties"]["inn"].update({"x-ui": {"widgit": "textarea"}}), "unknown x-ui keys"),
        (lambda s: s["properties"]["inn"].update({"x-ui": {"order": "1"}}), "order"),
        (lambda s: s["properties"]["level"]["x-ui"].update(enumNames=["СПО"]), "enumNames"),
        (lambda s: s["properties"]["inn"].update({"x-ui": {"widget": "select"}}), 'needs "enum"'),
        (lambda s: s["properties"]["comment"].update({"x-messages": {"maxLength": 5}}), "x-messages"),
        (lambda s: s["properties"]["total_delta"].update({"x-compute": {"mul": ["a", "b"]}}), "x-compute"),
        (lambda s: s["properties"]["total_delta"].update({"x-compute": {"sum": ["lines", "nope"]}}), "no field 'nope'"),
        (lambda s: s["properties"]["total_delta"].update({"x-compute": {"sum": ["inn", "x"]}}), "not a sibling array"),
        (
            lambda s: s["properties"]["lines"]["items"]["properties"]["delta"].update(
                {"x-compute": {"sub": ["requested_kcp", "ghost"]}}
            ),
            "'ghost'",
        ),
        (lambda s: s["properties"]["total_delta"].update(type="string"), "integer"),
        (
            lambda s: s["properties"].update(
                {
                    "a": {"type": "integer", "x-compute": {"add": ["b"]}},
                    "b": {"type": "integer", "x-compute": {"add": ["a"]}},
                }
            ),
            "cycle",
        ),
        (lambda s: s["properties"].update({"bad-name": {"type": "string"}}), "property names"),
        (lambda s: s["properties"]["decision"].pop("enum") and s["properties"]["decision"].pop("x-ui"), "decision"),
    ],
)
def test_check_form_schema_errors(mutate, message):
    with pytest.raises(FormError, match=None) as info:
        check_form_schema(_broken(mutate))
    assert message in str(info.value)


def test_project_form_files_load():
    forms_dir = ROOT / "forms"
    if not forms_dir.is_dir():
        pytest.skip("no forms/ directory")
    for path in sorted(forms_dir.glob("*.json")):
        load_form(forms_dir, path.stem)


# --- validation ------------------------------------------------------------------


def test_valid_data_passes_and_is_computed(schema):
    data = valid_data()
    before = copy.deepcopy(data)
    clean, errors = validate(schema, data)
    assert errors == []
    assert data == before  # input not mutated
    assert [line["delta"] for line in clean["lines"]] == [5, -10]
    assert clean["total_delta"] == -5
    assert clean["organisation"] == data["organisation"]


def test_every_error_with_its_path(schema):
    data = {
        "organisation": "AB",
        "inn": "7707083894",
        "ogrn": "102770013219",
        "email": "not-an-email",
        "reg_number": "12-2024",
        "deadline": "2025-02-30",
        "level": "nvo",
        "funding": "city",
        "lines": [
            {"programme_code": "9.02.07", "current_kcp": -1, "requested_kcp": "many"},
            {"programme_code": "09.02.07", "current_kcp": 10, "requested_kcp": 12, "extra": 1},
            {"current_kcp": 5},
        ],
        "tags": ["urgent", "urgent"],
        "agree": False,
        "comment": "x" * 21,
        "decision": "maybe",
        "unknown": 1,
    }
    clean, errors = validate(schema, data)
    assert all(isinstance(e, FieldError) for e in errors)
    assert pairs(errors) == [
        ("agree", "const"),
        ("comment", "maxLength"),
        ("deadline", "format"),
        ("decision", "enum"),
        ("email", "format"),
        ("funding", "oneOf"),
        ("inn", "format"),
        ("level", "enum"),
        ("lines/0/current_kcp", "minimum"),
        ("lines/0/programme_code", "format"),
        ("lines/0/requested_kcp", "type"),
        ("lines/1/extra", "additionalProperties"),
        ("lines/1/justification", "required"),
        ("lines/2/programme_code", "required"),
        ("lines/2/requested_kcp", "required"),
        ("ogrn", "format"),
        ("organisation", "minLength"),
        ("reg_number", "pattern"),
        ("tags", "uniqueItems"),
        ("unknown", "additionalProperties"),
    ]
    msg = {(e.path, e.code): e.message for e in errors}
    # outside an app context gettext falls back to the English msgids
    assert msg[("inn", "format")] == "Invalid INN: checksum does not match"
    assert msg[("ogrn", "format")] == "OGRN must consist of 13 digits (15 for an individual entrepreneur)"
    assert msg[("lines/0/programme_code", "format")] == "Programme code must have the form NN.NN.NN"
    assert msg[("deadline", "format")] == "This date does not exist"
    assert msg[("email", "format")] == "Invalid email address"
    assert msg[("lines/1/justification", "required")] == "This field is required"
    assert msg[("lines/0/current_kcp", "minimum")] == "Must be at least 0"
    assert msg[("lines/0/requested_kcp", "type")] == "Expected a whole number"
    assert msg[("organisation", "minLength")] == "Too short: at least 3 characters (now 2)"
    assert msg[("comment", "maxLength")] == "Too long: at most 20 characters (now 21)"
    assert msg[("funding", "oneOf")] == "Choose one of the allowed values"
    assert msg[("agree", "const")] == "This box must be checked"
    assert msg[("reg_number", "pattern")] == "Номер вида 0001-24"  # x-messages override
    assert msg[("unknown", "additionalProperties")] == "Unknown field"
    # unknown keys are reported and dropped from the clean data
    assert "unknown" not in clean and "extra" not in clean["lines"][1]
    assert clean["lines"][1]["delta"] == 2
    assert "delta" not in clean["lines"][0] and "total_delta" not in clean


def test_required_error_path_is_the_missing_field(schema):
    _, errors = validate(schema, {})
    assert pairs(errors) == [
        ("decision", "required"),
        ("inn", "required"),
        ("lines", "required"),
        ("organisation", "required"),
    ]


def test_justification_required_only_when_delta_positive(schema):
    data = valid_data()
    data["lines"] = [
        {"programme_code": "09.02.07", "current_kcp": 10, "requested_kcp": 11},
        {"programme_code": "09.02.08", "current_kcp": 10, "requested_kcp": 10},
        {"programme_code": "09.02.09", "current_kcp": 10, "requested_kcp": 9},
    ]
    clean, errors = validate(schema, data)
    assert pairs(errors) == [("lines/0/justification", "required")]
    assert [line["delta"] for line in clean["lines"]] == [1, 0, -1]
    assert clean["total_delta"] == 0


def test_inn_and_ogrn_formats(schema):
    base = valid_data()
    for inn, expected in [
        (VALID_INN, None),
        (VALID_INN_12, None),
        ("7707083894", "Invalid INN: checksum does not match"),
        ("500100732258", "Invalid INN: checksum does not match"),
        ("770708389", "INN must consist of 10 or 12 digits"),
        ("77070838AB", "INN must consist of 10 or 12 digits"),
    ]:
        _, errors = validate(schema, dict(base, inn=inn))
        assert [e.message for e in errors] == ([expected] if expected else []), inn
    _, errors = validate(schema, dict(base, ogrn="1027700132196"))
    assert [e.message for e in errors] == ["Invalid OGRN: checksum does not match"]
    _, errors = validate(schema, dict(base, inn=7707083893))
    assert pairs(errors) == [("inn", "type")]


def test_programme_code_and_date_formats(schema):
    base = valid_data()
    for code in ["09.02.07", "38.03.01"]:
        base["lines"][0]["programme_code"] = code
        assert validate(schema, base)[1] == []
    for code in ["09.2.07", "09-02-07", "09.02.071", "09.02.07 ", "٠٩.٠٢.٠٧"]:
        base["lines"][0]["programme_code"] = code
        assert pairs(validate(schema, base)[1]) == [("lines/0/programme_code", "format")], code
    base = valid_data()
    _, errors = validate(schema, dict(base, deadline="12.05.2025"))
    assert [e.message for e in errors] == ["Date must have the form YYYY-MM-DD"]


def test_additional_properties_kept_when_allowed(schema):
    schema.pop("additionalProperties")
    data = dict(valid_data(), note="kept")
    clean, errors = validate(schema, data)
    assert errors == [] and clean["note"] == "kept"


def test_generic_messages_for_other_keywords():
    s = {
        "title": "t",
        "type": "object",
        "properties": {
            "n": {"type": "number", "multipleOf": 0.5, "exclusiveMaximum": 10},
            "k": {"type": "integer", "exclusiveMinimum": 0, "maximum": 5},
            "items": {"type": "array", "minItems": 2, "maxItems": 3, "contains": {"const": "x"}},
            "odd": {"not": {"type": "string"}},
            "obj": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[a-z]+$"}},
        },
        "dependentRequired": {"n": ["k"]},
    }
    check_form_schema(s)
    _, errors = validate(s, {"n": 10.25, "items": ["a"], "odd": "s", "obj": {"A1": 1}})
    got = {(e.path, e.code): e.message for e in errors}
    assert got == {
        ("k", "dependentRequired"): "This field is required",
        ("n", "multipleOf"): "Must be a multiple of 0.5",
        ("n", "exclusiveMaximum"): "Must be less than 10",
        ("items", "minItems"): "At least 2 items required",
        ("items", "contains"): "The list lacks a required item",
        ("odd", "not"): "This value is not allowed",
        ("obj", "propertyNames"): "Invalid field name",
    }
    _, errors = validate(s, {"k": 0, "items": ["x", "x", "x", "x"], "obj": {}})
    got = {(e.path, e.code): e.message for e in errors}
    assert got == {
        ("k", "exclusiveMinimum"): "Must be greater than 0",
        ("items", "maxItems"): "At most 3 items allowed",
        ("obj", "minProperties"): "Too few fields are filled in",
    }


def test_non_object_data_gives_root_error(schema):
    for data in (None, [], "x", 5, True):
        clean, errors = validate(schema, data)
        assert clean == {}
        assert pairs(errors) == [("", "type")]
        assert errors[0].message == "Expected a group of fields"


def test_errors_to_dict_joins_messages():
    errs = [FieldError("a", "x", "one"), FieldError("a", "y", "two"), FieldError("", "type", "root")]
    assert errors_to_dict(errs) == {"a": "one; two", "": "root"}


# --- computed fields ---------------------------------------------------------------


def test_apply_computed(schema):
    data = {
        "lines": [{"current_kcp": 3, "requested_kcp": 10, "delta": 999}, {"current_kcp": 2, "requested_kcp": 1}],
        "total_delta": 12345,
    }
    out = apply_computed(schema, data)
    assert out["lines"][0]["delta"] == 7  # client value replaced
    assert out["lines"][1]["delta"] == -1
    assert out["total_delta"] == 6
    assert data["lines"][0]["delta"] == 999  # input untouched
    # a missing or non-numeric operand removes the computed field (and sums over it)
    out = apply_computed(
        schema, {"lines": [{"current_kcp": 3}, {"current_kcp": "x", "requested_kcp": 1}], "total_delta": 5}
    )
    assert "delta" not in out["lines"][0] and "delta" not in out["lines"][1] and "total_delta" not in out
    assert apply_computed(schema, {"lines": []})["total_delta"] == 0
    assert "total_delta" not in apply_computed(schema, {})
    assert apply_computed(schema, [1, 2]) == [1, 2]


def test_apply_computed_add_sum_scalars_and_chains():
    s = {
        "title": "t",
        "type": "object",
        "properties": {
            "a": {"type": "number"},
            "b": {"type": "number"},
            "total": {"type": "number", "x-compute": {"add": ["subtotal", 100]}},  # depends on a later field
            "subtotal": {"type": "number", "x-compute": {"add": ["a", "b"]}},
            "amounts": {"type": "array", "items": {"type": "integer"}},
            "amounts_sum": {"type": "integer", "x-compute": {"sum": ["amounts"]}},
            "flag_not_number": {"type": "integer", "x-compute": {"sub": ["a", "flag"]}},
            "flag": {"type": "boolean"},
        },
    }
    check_form_schema(s)
    out = apply_computed(s, {"a": 1.5, "b": 2, "amounts": [1, 2, 3], "flag": True})
    assert out["subtotal"] == 3.5 and out["total"] == 103.5
    assert out["amounts_sum"] == 6
    assert "flag_not_number" not in out  # booleans are not numbers
    assert "subtotal" not in apply_computed(s, {"a": float("inf"), "b": 1})
    assert "subtotal" not in apply_computed(s, {"a": 10**400, "b": 0.5})  # overflow


def test_computed_value_drives_if_then(schema):
    # a client cannot dodge the justification rule by sending delta <= 0
    data = valid_data()
    data["lines"] = [{"programme_code": "09.02.07", "current_kcp": 1, "requested_kcp": 5, "delta": -100}]
    _, errors = validate(schema, data)
    assert pairs(errors) == [("lines/0/justification", "required")]


# --- decision options ----------------------------------------------------------------


def test_decision_options(schema):
    assert decision_options(schema) == [
        ("approve", "Согласовать"),
        ("return", "Вернуть на доработку"),
        ("reject", "Отклонить"),
    ]
    schema["properties"]["decision"] = {
        "type": "string",
        "oneOf": [{"const": "approve", "title": "Утвердить"}, {"const": "reject", "title": "Отказать"}],
    }
    assert decision_options(schema) == [("approve", "Утвердить"), ("reject", "Отказать")]
    schema["properties"]["decision"] = {"type": "string", "enum": ["yes", "no"]}
    assert decision_options(schema) == [("yes", "yes"), ("no", "no")]
    del schema["properties"]["decision"]
    assert decision_options(schema) == []


# --- parse_form_post -------------------------------------------------------------------


def test_parse_form_post_types_and_tables(schema):
    post = MultiDict(
        [
            ("csrf_token", "abc"),
            ("organisation", "  ОГБПОУ «ТТ»  "),
            ("inn", VALID_INN),
            ("ogrn", ""),
            ("email", "   "),
            ("deadline", "12.05.2025"),
            ("level", "spo"),
            ("funding", "federal"),
            ("lines-0-programme_code", "09.02.07"),
            ("lines-0-current_kcp", "1 000"),
            ("lines-0-requested_kcp", "1\u00a0010"),
            ("lines-0-delta", "999"),  # computed: ignored
            ("lines-0-justification", "Line one\r\nline two"),
            ("lines-1-programme_code", ""),  # entirely empty row: dropped
            ("lines-1-current_kcp", ""),
            ("lines-1-justification", ""),
            ("lines-7-programme_code", "15.02.10"),
            ("lines-7-current_kcp", "ten"),  # bad number kept as string
            ("lines-7-requested_kcp", "5"),
            ("lines-7-priority", "on"),
            ("lines-10-programme_code", "38.03.01"),  # numeric, not lexicographic, order
            ("lines-10-current_kcp", "1"),
            ("lines-10-requested_kcp", "1"),
            ("tags", "urgent"),
            ("tags", "new_programme"),
            ("tags", ""),
            ("registry_id", "forged"),  # readonly: ignored
            ("total_delta", "1"),  # computed: ignored
            ("case_id", "case-17"),
            ("comment", ""),
            ("decision", "approve"),
        ]
    )
    data = parse_form_post(schema, post)
    assert data == {
        "organisation": "ОГБПОУ «ТТ»",
        "inn": VALID_INN,
        "deadline": "2025-05-12",
        "level": "spo",
        "funding": "federal",
        "lines": [
            {
                "programme_code": "09.02.07",
                "current_kcp": 1000,
                "requested_kcp": 1010,
                "justification": "Line one\nline two",
                "priority": False,
            },
            {"programme_code": "15.02.10", "current_kcp": "ten", "requested_kcp": 5, "priority": True},
            {"programme_code": "38.03.01", "current_kcp": 1, "requested_kcp": 1, "priority": False},
        ],
        "tags": ["urgent", "new_programme"],
        "agree": False,  # unchecked checkbox
        "case_id": "case-17",
        "decision": "approve",
    }
    clean, errors = validate(schema, data)
    assert pairs(errors) == [("agree", "const"), ("lines/1/current_kcp", "type")]
    assert clean["lines"][0]["delta"] == 10


def test_parse_form_post_row_with_only_hidden_id_is_dropped():
    s = {
        "title": "t",
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string", "x-ui": {"widget": "hidden"}}, "name": {"type": "string"}},
                },
            }
        },
    }
    post = MultiDict([("rows-0-id", "a"), ("rows-0-name", ""), ("rows-1-id", "b"), ("rows-1-name", "Бета")])
    assert parse_form_post(s, post) == {"rows": [{"id": "b", "name": "Бета"}]}


def test_x_messages_override_for_required(schema):
    schema["properties"]["inn"]["x-messages"] = {"required": "Укажите ИНН организации"}
    data = valid_data()
    del data["inn"]
    _, errors = validate(schema, data)
    assert [(e.path, e.message) for e in errors] == [("inn", "Укажите ИНН организации")]


def test_parse_form_post_numbers_booleans_and_enums():
    s = {
        "title": "t",
        "type": "object",
        "properties": {
            "n": {"type": "number"},
            "i": {"type": "integer"},
            "big": {"type": "integer"},
            "yes": {"type": "boolean", "x-ui": {"widget": "radio"}, "enum": [True, False]},
            "yn": {
                "type": "boolean",
                "x-ui": {"widget": "select"},
                "oneOf": [{"const": True, "title": "Да"}, {"const": False, "title": "Нет"}],
            },
            "level": {"type": "integer", "enum": [1, 2, 3]},
            "nullable": {"type": ["integer", "null"]},
            "codes": {"type": "array", "items": {"type": "integer"}},
            "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
        },
    }
    check_form_schema(s)
    post = MultiDict(
        [
            ("n", "2,5"),
            ("i", "-3"),
            ("big", "1.5"),
            ("yes", "true"),
            ("yn", "false"),
            ("level", "2"),
            ("nullable", "7"),
            ("codes", "1"),
            ("codes", "x"),
            ("address-city", "Томск"),
            ("address-zip", ""),
        ]
    )
    assert parse_form_post(s, post) == {
        "n": 2.5,
        "i": -3,
        "big": "1.5",
        "yes": True,
        "yn": False,
        "level": 2,
        "nullable": 7,
        "codes": [1, "x"],
        "address": {"city": "Томск"},
    }
    assert parse_form_post(s, MultiDict([("n", "1e3"), ("i", "+4"), ("yes", ""), ("n", "9")])) == {"n": 1000.0, "i": 4}
    assert parse_form_post(s, MultiDict()) == {}
    _, errors = validate(s, parse_form_post(s, post))
    assert pairs(errors) == [("big", "type"), ("codes/1", "type")]


# --- rendering ------------------------------------------------------------------------


@pytest.fixture
def env():
    e = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.i18n"], autoescape=select_autoescape(["html"])
    )
    e.install_null_translations(newstyle=True)
    return e


def render(env, schema, data=None, errors=None, readonly=False):
    tpl = env.from_string(
        '{% from "forms/_macros.html" import render_form %}{{ render_form(schema, data, errors, readonly) }}'
    )
    return tpl.render(schema=schema, data=data, errors=errors, readonly=readonly)


class FormScraper(HTMLParser):
    """Collects what a browser would submit (without JS), plus all tags for inspection."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, attrs dict)
        self.fields = []  # (name, value) in document order
        self._template = 0
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "template":
            self._template += 1
        if self._template:
            return
        if tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind != "file":
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and "name" in a:
            self._textarea = [a["name"], ""]
        elif tag == "select" and "name" in a:
            self._select = [a["name"], None, None]  # name, first option, selected
        elif tag == "option" and self._select is not None:
            if self._select[1] is None:
                self._select[1] = a.get("value", "")
            if "selected" in a:
                self._select[2] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "template":
            self._template -= 1
        if self._template:
            return
        if tag == "textarea" and self._textarea:
            self.fields.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select" and self._select:
            name, first, selected = self._select
            self.fields.append((name, selected if selected is not None else first or ""))
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None and not self._template:
            self._textarea[1] += data

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def scrape(html):
    p = FormScraper()
    p.feed(html)
    p.close()
    return p


def test_render_inputs_and_names(env, schema):
    data = valid_data()
    data.update(registry_id="R-42", case_id="case-17", attachment="scan.pdf")
    clean, _ = validate(schema, data)
    html = render(env, schema, clean, {})
    page = scrape(html)
    assert "<form" not in html and "csrf" not in html
    assert page.find("input", name="organisation", type="text", placeholder="ОГБПОУ «...»")
    assert page.find("input", name="inn", type="text", value=VALID_INN)
    assert page.find("input", name="email", type="email")
    assert page.find("input", name="deadline", type="date", value="2025-05-12")
    assert page.find("input", name="level", type="radio", value="spo", checked="")
    assert page.find("select", name="funding")
    assert page.find("option", value="region", selected="")
    assert page.find("input", name="tags", type="checkbox", value="urgent", checked="")
    assert page.find("input", name="agree", type="checkbox", checked="")
    assert page.find("input", name="file:attachment", type="file")
    assert "scan.pdf" in html
    assert page.find("input", name="case_id", type="hidden", value="case-17")
    assert page.find("textarea", name="comment")
    # readonly and computed fields are displayed, not editable
    assert not page.find("input", name="registry_id") and "R-42" in html
    assert not page.find("input", name="total_delta")
    assert page.find("output", id="f-total_delta")
    assert ">-5</output>" in html
    # labels and help texts
    assert '<label class="field-label" for="f-inn">ИНН' in html
    assert "10 или 12 цифр" in html


def test_render_table_rows(env, schema):
    clean, _ = validate(schema, valid_data())
    page = scrape(render(env, schema, clean, {}))
    table = page.find("table", **{"data-array": "lines"})
    assert table and table[0]["data-next-index"] == "5"
    names = {a["name"] for a in page.find("input") + page.find("textarea") if "name" in a}
    for i in range(5):  # 2 data rows + 3 blank rows for use without JS
        assert f"lines-{i}-programme_code" in names
        assert f"lines-{i}-current_kcp" in names
        assert f"lines-{i}-justification" in names
        assert f"lines-{i}-delta" not in names  # computed
    assert "lines-5-programme_code" not in names
    assert page.find("input", name="lines-0-programme_code", value="09.02.07")
    assert page.find("input", name="lines-1-priority", type="checkbox", checked="")
    assert page.find("output", id="f-lines-0-delta")
    assert len(page.find("tr", **{"data-index": "__INDEX__"})) == 1  # the JS row template
    assert page.find("input", name="lines-__INDEX__-programme_code")
    # add/remove buttons exist for forms.js (hidden until JS shows them)
    assert page.find("button", type="button", **{"class": "btn btn-secondary btn-sm row-add"})
    assert len(page.find("button", **{"class": "btn btn-link btn-sm row-remove"})) == 6


def test_render_decision_buttons(env, schema):
    html = render(env, schema, {}, {})
    page = scrape(html)
    buttons = [(a["name"], a["value"], a["class"]) for a in page.find("button", type="submit") if a.get("name")]
    assert buttons == [
        ("decision", "approve", "btn btn-success"),
        ("decision", "return", "btn btn-secondary"),
        ("decision", "reject", "btn btn-danger"),
    ]
    assert ">Согласовать</button>" in html and ">Вернуть на доработку</button>" in html
    assert not page.find("input", name="decision") and not page.find("select", name="decision")
    # the implicit (Enter key) submit button comes first and carries no decision
    first_submit = page.find("button", type="submit")[0]
    assert "name" not in first_submit and first_submit["class"] == "implicit-submit"


def test_render_errors_next_to_fields_and_in_summary(env, schema):
    data = valid_data()
    data["inn"] = "7707083894"
    data["lines"][0].pop("justification")
    data["lines"][1]["current_kcp"] = "ten"
    clean, errors = validate(schema, data)
    errs = errors_to_dict(errors)
    errs[""] = "Form-level problem"
    html = render(env, schema, clean, errs)
    page = scrape(html)
    assert page.find("div", id="form-errors", role="alert")
    assert '<a href="#f-inn">ИНН</a>: Invalid INN: checksum does not match' in html
    assert '<a href="#f-lines-0-justification">Строки заявки → row 1 → Обоснование</a>' in html
    assert "<li>Form-level problem</li>" in html
    assert page.find("p", id="f-inn-error", **{"class": "field-error"})
    assert page.find("input", name="inn", **{"aria-invalid": "true"})
    assert page.find("textarea", name="lines-0-justification", **{"aria-invalid": "true"})
    assert page.find("p", id="f-lines-0-justification-error")
    assert page.find("input", name="lines-1-current_kcp", value="ten", **{"aria-invalid": "true"})
    assert not page.find("input", name="organisation", **{"aria-invalid": "true"})


def test_render_readonly(env, schema):
    data = valid_data()
    clean, _ = validate(schema, data)
    html = render(env, schema, clean, {}, readonly=True)
    page = scrape(html)
    assert page.fields == []
    assert not page.find("button") and not page.find("template")
    assert "Томский техникум" in html and "12.05.2025" in html  # dates shown Russian style
    assert "Областной бюджет" in html and "СПО" in html
    assert "Согласовать" in html  # the chosen decision as text
    assert html.count("<tr data-index=") == 2  # no blank rows


OTHER_WIDGETS = {
    "title": "Прочие виджеты",
    "type": "object",
    "properties": {
        "yn": {"type": "boolean", "title": "Да или нет", "x-ui": {"widget": "radio"}},
        "phones": {"type": "array", "title": "Телефоны", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "title": "Адрес",
            "required": ["city"],
            "properties": {
                "city": {"type": "string", "title": "Город"},
                "zip": {"type": "string", "title": "Индекс", "pattern": "^[0-9]{6}$"},
            },
        },
        "amount": {"type": "number", "title": "Сумма", "minimum": 0},
        "kind": {"type": "integer", "title": "Вид", "enum": [1, 2], "x-ui": {"enumNames": ["Первый", "Второй"]}},
        "outcome": {"type": "string", "title": "Итог", "enum": ["accept", "decline"], "x-ui": {"widget": "buttons"}},
    },
}


def test_render_other_widgets_round_trip(env):
    check_form_schema(OTHER_WIDGETS)
    data = {
        "yn": False,
        "phones": ["+7 3822 000000", "8 800"],
        "address": {"city": "Томск", "zip": "634050"},
        "amount": 2.5,
        "kind": 2,
    }
    html = render(env, OTHER_WIDGETS, data, {"address/zip": "Неверный индекс"})
    page = scrape(html)
    assert page.find("input", name="yn", type="radio", value="false", checked="")
    assert len(page.find("input", name="phones")) == 4  # values + 2 blank
    assert page.find("fieldset", id="f-address")
    assert page.find("input", name="address-city", value="Томск")
    assert page.find("p", id="f-address-zip-error")
    assert page.find("input", name="amount", inputmode="decimal", value="2.5")
    assert page.find("option", value="2", selected="")
    assert [a["value"] for a in page.find("button", name="outcome")] == ["accept", "decline"]
    parsed = parse_form_post(OTHER_WIDGETS, MultiDict([*page.fields, ("outcome", "decline")]))
    assert parsed == dict(data, outcome="decline")
    assert validate(OTHER_WIDGETS, parsed)[1] == []
    readonly = render(env, OTHER_WIDGETS, data, {}, readonly=True)
    assert "Второй" in readonly and "No" in readonly and "form-actions" not in readonly


def test_render_escapes_values(env, schema):
    html = render(env, schema, {"organisation": '<script>alert("x")</script>'}, {})
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_html_round_trip(env, schema):
    """render -> what the browser posts -> parse_form_post gives back the same data."""
    data = valid_data()
    data["case_id"] = "case-17"
    data["lines"][0]["justification"] = "Две строки\nтекста & <тег>"
    clean, errors = validate(schema, data)
    assert errors == []
    page = scrape(render(env, schema, clean, {}))
    post = MultiDict([*page.fields, ("decision", "approve")])  # the clicked button
    parsed = parse_form_post(schema, post)
    expected = copy.deepcopy(data)
    for line in expected["lines"]:
        line.setdefault("priority", False)
    assert parsed == expected
    clean2, errors2 = validate(schema, parsed)
    assert errors2 == []
    assert clean2["total_delta"] == clean["total_delta"]


def test_round_trip_keeps_bad_input_for_correction(env, schema):
    post = MultiDict(
        [
            ("organisation", "ОГБПОУ"),
            ("inn", "123"),
            ("lines-0-programme_code", "09.02.07"),
            ("lines-0-current_kcp", "abc"),
            ("lines-0-requested_kcp", "3"),
        ]
    )
    data = parse_form_post(schema, post)
    clean, errors = validate(schema, data)
    page = scrape(render(env, schema, clean, errors_to_dict(errors)))
    again = parse_form_post(schema, MultiDict(page.fields))
    assert again == data


def test_render_in_flask_with_babel(schema):
    app = Flask(__name__, template_folder=str(TEMPLATES))
    Babel(app)
    with app.test_request_context():
        html = render_template_string(
            '{% from "forms/_macros.html" import render_form %}{{ render_form(schema, data, errors) }}',
            schema=schema,
            data=valid_data(),
            errors={"inn": "bad"},
        )
    assert 'name="decision" value="approve"' in html
    assert 'id="f-inn-error">bad</p>' in html


# --- translations ----------------------------------------------------------------------


def russian_catalog():
    """The pending forms.po.part merged with the app's Russian catalogs (wherever it ends up)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    sources = sorted(APP_CATALOGS.glob("*.po")) + ([PO_PART] if PO_PART.exists() else [])
    if not sources:
        pytest.skip("no Russian catalog found")
    merged = Catalog(locale="ru")
    for path in sources:
        with path.open("rb") as fh:
            for message in read_po(fh, locale="ru"):
                if message.id and message.string:
                    merged.add(message.id, message.string)
    return merged


@pytest.fixture
def ru_app(tmp_path):
    from babel.messages.mofile import write_mo

    catalog = russian_catalog()
    target = tmp_path / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path)
    Babel(app, locale_selector=lambda: "ru")
    return app


def test_russian_messages(ru_app, schema):
    data = valid_data()
    data.update(inn="7707083894", deadline="2025-13-01", organisation="AB")
    data["lines"][0].update(programme_code="9.2.7", current_kcp=-5)
    data["lines"][0].pop("justification")
    data["lines"][1]["requested_kcp"] = "много"
    with ru_app.test_request_context():
        _, errors = validate(schema, data)
        got = {e.path: e.message for e in errors}
        html = render_template_string(
            '{% from "forms/_macros.html" import render_form %}{{ render_form(schema, data, errors) }}',
            schema=schema,
            data=data,
            errors=got,
        )
    assert got == {
        "deadline": "Такой даты не существует",
        "inn": "Неверный ИНН: контрольная сумма не сходится",
        "organisation": "Слишком коротко: минимум 3 симв. (сейчас 2)",
        "lines/0/programme_code": "Код программы в формате NN.NN.NN",
        "lines/0/current_kcp": "Значение должно быть не меньше 0",
        "lines/0/justification": "Обязательное поле",
        "lines/1/requested_kcp": "Ожидается целое число",
    }
    assert "Добавить строку" in html and "В форме есть ошибки" in html and "строка 1" in html


def test_every_msgid_has_a_russian_translation():
    from babel.messages.extract import extract_from_file
    from jinja2.ext import babel_extract

    catalog = russian_catalog()
    msgids = {
        m[1]
        for path in sorted((ROOT / "workflow_app" / "formkit").glob("*.py"))
        for m in extract_from_file("python", str(path), keywords={"_": None, "gettext": None, "lazy_gettext": None})
    }
    assert msgids
    with (TEMPLATES / "forms" / "_macros.html").open("rb") as fh:
        for _lineno, _func, message, _comments in babel_extract(fh, ("_", "gettext"), [], {}):
            msgids.add(message[0] if isinstance(message, tuple) else message)
    missing = sorted(m for m in msgids if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []


def test_gettext_works_in_an_app_without_babel(schema):
    app = Flask(__name__)
    with app.app_context():
        _, errors = validate(schema, {})
    assert errors[0].message == "This field is required"


# --- properties ------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=15)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
line_fields = ["programme_code", "current_kcp", "requested_kcp", "delta", "justification", "priority", "extra"]
line_values = {
    "programme_code": st.sampled_from(["09.02.07", "9.2.7", ""]) | json_values,
    "current_kcp": st.integers(-5, 50) | json_values,
    "requested_kcp": st.integers(-5, 50) | json_values,
}
lines_strategy = st.lists(
    st.fixed_dictionaries({}, optional={f: line_values.get(f, json_values) for f in line_fields}) | json_values,
    max_size=4,
)
top_values = dict.fromkeys(KCP_SCHEMA["properties"], json_values)
top_values.update(
    lines=lines_strategy | json_values,
    inn=st.sampled_from([VALID_INN, "7707083894", ""]) | json_values,
    unknown=json_values,
)
data_strategy = st.fixed_dictionaries({}, optional=top_values) | json_values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=data_strategy)
def test_property_validate_never_raises(data):
    original = copy.deepcopy(data) if not isinstance(data, float) else data
    clean, errors = validate(KCP_SCHEMA, data)
    assert isinstance(clean, dict)
    assert isinstance(errors, list)
    for e in errors:
        assert isinstance(e, FieldError)
        assert isinstance(e.path, str) and isinstance(e.code, str)
        assert isinstance(e.message, str) and e.message
    assert [e.path for e in errors] == sorted((e.path for e in errors), key=_path_key)
    if not isinstance(data, float):
        assert data == original or data != data  # not mutated (NaN aside)


post_names = st.sampled_from(
    [
        "organisation",
        "inn",
        "level",
        "funding",
        "tags",
        "agree",
        "decision",
        "deadline",
        "csrf_token",
        "lines-0-programme_code",
        "lines-0-current_kcp",
        "lines-1-requested_kcp",
        "lines-01-current_kcp",
        "lines-x-current_kcp",
        "lines--current_kcp",
        "lines-99999999999999999999-priority",
        "lines",
    ]
)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.tuples(post_names, st.text(max_size=12)), max_size=12))
def test_property_parse_form_post_never_raises(items):
    data = parse_form_post(KCP_SCHEMA, MultiDict(items))
    assert isinstance(data, dict)
    _clean, errors = validate(KCP_SCHEMA, data)
    assert all(isinstance(e.path, str) for e in errors)

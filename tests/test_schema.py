"""The case file's JSON Schema: generated from the models, shipped current, and it agrees with the loader."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from aipm_kit.bundled import bundled_cases
from aipm_kit.cli import main
from aipm_kit.schema import SHIPPED, case_schema, schema_text
from aipm_kit.workspace import init_workspace


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = case_schema()
    jsonschema.Draft202012Validator.check_schema(schema)  # a well-formed draft 2020-12 schema
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schema_is_what_the_models_generate():
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), "run: python -m aipm_kit.schema"


def _as_editors_read_it(value):
    """PyYAML (YAML 1.1) turns an unquoted 2026-11-20 into a date; YAML 1.2, which editors and the kit read, keeps
    the text, which is what the schema's date format checks."""
    import datetime

    if isinstance(value, dict):
        return {k: _as_editors_read_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editors_read_it(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.date) else value


@pytest.mark.parametrize("name", sorted(bundled_cases()))
def test_every_bundled_case_is_valid(name, validator):
    data = _as_editors_read_it(yaml.safe_load(bundled_cases()[name].read_text(encoding="utf-8")))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_a_wrong_type_an_unknown_field_and_an_out_of_range_value_are_rejected(validator):
    data = yaml.safe_load(bundled_cases()["support-triage"].read_text(encoding="utf-8"))
    wrong = [
        ("need_ai", "monthly_volume", "a lot"),        # a number expected
        ("need_ai", "monthly_volum", 18000),           # a misspelt field
        ("evaluation", "confidence", 1.5),             # above its bound (0.5–0.999)
        ("experience", "automation", "fully automatic"),  # not one of the choices
    ]
    for section, field, value in wrong:
        bad = json.loads(json.dumps(data))
        bad[section][field] = value
        errors = list(validator.iter_errors(bad))
        assert errors, (section, field)
        assert errors[0].absolute_path[0] == section


def test_the_schema_command_prints_it(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == case_schema()


def test_a_workspace_case_file_names_the_schema_beside_it(tmp_path):
    ws = init_workspace(tmp_path / "clinic")
    assert ws.case_file.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=case.schema.json\n")
    assert (ws.folder / "case.schema.json").read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")

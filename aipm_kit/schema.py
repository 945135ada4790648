"""The case file's JSON Schema, generated from the questions' pydantic models.

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains, Neovim …) complete and check a
case file against it once the file's first line names it::

    # yaml-language-server: $schema=case.schema.json

The schema is derived, never written by hand: ``aipm-kit schema`` prints it, the package ships it as
``case.schema.json`` (``python -m aipm_kit.schema`` rewrites that copy; a test checks it is current), and
``aipm-kit new`` and ``init`` put the line above at the top of the files they write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).with_name("case.schema.json")
MODELINE_PREFIX = "# yaml-language-server: $schema="


def case_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole case file: name, summary, stage, as_of, a section per question."""
    from pydantic.json_schema import models_json_schema

    from .case import About, Classroom
    from .labels import field_label
    from .questions import QUESTIONS

    refs, schema = models_json_schema([(q.answers_model, "validation") for q in QUESTIONS],
                                      ref_template="#/$defs/{model}")
    definitions = schema["$defs"]
    for definition in definitions.values():  # titles as the forms label the fields, not "Ai Accuracy"
        for name, prop in definition.get("properties", {}).items():
            prop["title"] = field_label(name)
    properties: dict[str, Any] = {
        "name": {"type": "string", "title": "Name", "description": "The product's name."},
        "summary": {"type": "string", "title": "Summary",
                    "description": "What the product does, for whom, in one or two sentences."},
    }
    about = About.model_json_schema()["properties"]
    for key in About.model_fields:
        properties[key] = {**about[key], "title": field_label(key)}
    classroom = Classroom.model_json_schema(ref_template="#/$defs/{model}")
    definitions.update(classroom.pop("$defs", {}))
    properties["classroom"] = {**classroom, "title": "Classroom", "description": " ".join(Classroom.__doc__.split())}
    for q in QUESTIONS:
        ref = refs[(q.answers_model, "validation")]["$ref"]
        properties[q.key] = {"$ref": ref, "title": f"Question {q.number}: {q.title}",
                             "description": f"{q.title} {q.lesson}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "aipm-kit case file",
        "description": "One product's answers to the seven questions of AI product management.",
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
        "$defs": definitions,
    }


def schema_text() -> str:
    return json.dumps(case_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def modeline(schema_location: str) -> str:
    """The first line of a case file that points editors at the schema."""
    return f"{MODELINE_PREFIX}{schema_location}\n"


def main() -> int:
    """Rewrite the shipped copy of the schema from the models."""
    SHIPPED.write_text(schema_text(), encoding="utf-8")
    print(f"Wrote {SHIPPED.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Braintrust: an experiment's events, exported as JSON (or JSONL) or CSV.

Braintrust is a hosted service, so this reads the format its API documents rather than a file made here: the
``ExperimentEvent`` of the Braintrust API's OpenAPI description (version 1.0.0), as ``POST
/v1/experiment/{id}/fetch`` returns them (``{"events": [...]}``). A plain list of events, one event a line
(JSONL) and a CSV with one column per field are read too; in a CSV, ``scores`` and ``metadata`` are JSON text,
or spread over ``scores.NAME`` and ``metadata.KEY`` columns.

An event is a span of a trace; each trace's root span (``is_root``, or no ``span_parents``) is one eval case,
and the rest (the task's LLM calls, the scorers' spans) are skipped. ``input``, ``expected`` and ``output`` are
the event's (JSON text when they are objects; an input object of one field is that field's text); ``id`` is the
event's ``id``. Braintrust records no pass/fail: ``scores`` maps each scorer to a number from 0 to 1. The first
scorer of the first case is ``score`` (choose another with ``--map score=scores.NAME``), and a case passes when
it reaches ``--pass-at`` when that is given; every other scorer is a column ``score_NAME``. ``category`` and
``slice`` come from ``metadata``; its other keys and the ``tags`` are columns too. Traces of one ``input`` (an
eval run with a trial count above one) share a ``group``, named after the first one's id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .evalrows import ImportFileError, Imported, Record, eval_table, text
from .provenance import provenance

TOOL = "braintrust"
JSON_COLUMNS = ("scores", "metadata", "tags", "span_parents", "is_root", "input", "expected", "output", "error")
FORMAT = "Braintrust API ExperimentEvent (OpenAPI 'Braintrust API' version 1.0.0)"


def read(path: str | os.PathLike, mapping: dict | None = None, pass_at: float | None = None) -> Imported:
    """The eval table in the Braintrust experiment export at ``path``."""
    path = Path(path)
    events = _read_csv(path) if path.suffix.lower() == ".csv" else _read_json(path)
    roots = [(n, e) for n, e in events if _is_root(e)]
    if not roots:
        raise ImportFileError("holds no root spans (events with is_root true or no span_parents): no eval cases",
                              path)
    first_scores = next((e.get("scores") for _, e in roots if isinstance(e.get("scores"), dict) and e["scores"]),
                        {})
    main = next(iter(first_scores), None)
    if main is None and "score" not in (mapping or {}):
        raise ImportFileError("no event has scores: nothing says how a case did", path)
    inputs: dict[str, list] = {}  # each input's cases: trials of one input share a group
    for _, event in roots:
        inputs.setdefault(_input_text(event.get("input")), []).append(event.get("id"))
    records = []
    for n, event in roots:
        where = f"event {n + 1}" + (f" (id {event['id']!r})" if event.get("id") else "")
        if not event.get("id"):
            raise ImportFileError("missing field 'id'", path, where)
        scores = event.get("scores") if isinstance(event.get("scores"), dict) else {}
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        key = _input_text(event.get("input"))
        values = {
            "id": event["id"], "input": key, "expected": event.get("expected"),
            "output": event.get("output") if event.get("error") is None else f"(error) {text(event['error'])}",
            "category": metadata.get("category"), "slice": metadata.get("slice"),
            "score": scores.get(main) if main else None,
            "group": text(inputs[key][0]) if len(inputs[key]) > 1 else "",
        }
        extra = {k: v for k, v in metadata.items() if k not in ("category", "slice")}
        extra.update({f"score_{k}": v for k, v in scores.items() if k != main})
        if event.get("tags"):
            extra["tags"] = ", ".join(str(t) for t in event["tags"])
        records.append(Record(where, values, raw=event, extra=extra))
    frame, notes = eval_table(records, path, mapping, score_threshold=pass_at)
    if main and "score" not in (mapping or {}):
        notes.insert(0, f"score is the scorer {main!r}" + (f"; a case passes at {pass_at:g} or more" if pass_at
                                                            is not None else ""))
    experiment = next((e.get("experiment_id") for _, e in roots if e.get("experiment_id")), None)
    record = provenance(TOOL, path, tool_version=None, file_format=FORMAT, mapping=mapping, cases=len(frame),
                        experiment_id=experiment, scorer=(mapping or {}).get("score", main), pass_at=pass_at,
                        spans_skipped=len(events) - len(roots))
    imported = Imported(frame, record, notes)
    record["passed"] = imported.passed if "passed" in frame.columns else None
    return imported


def _input_text(value) -> str:
    """An input object with one field is that field's text (``{"ticket": "…"}`` → ``…``); others are JSON."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), str):
        return next(iter(value.values()))
    return text(value)


def _is_root(event: dict) -> bool:
    if event.get("is_root") is not None:
        return bool(event["is_root"])
    return not event.get("span_parents")


def _read_json(path: Path) -> list[tuple[int, dict]]:
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ImportFileError("is not UTF-8 text; expected a Braintrust export (JSON, JSONL or CSV)", path) from None
    try:
        data = json.loads(content)
    except ValueError:
        data = None
        events = []
        for number, line in enumerate(content.splitlines(), start=1):  # JSONL: one event a line
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError as exc:
                    raise ImportFileError(f"is neither JSON nor JSONL ({exc})", path, f"line {number}") from None
        data = events
    if isinstance(data, dict):
        if not isinstance(data.get("events"), list):
            raise ImportFileError("has no 'events' list; expected an experiment export (the API's fetch response "
                                  "or a list of events)", path)
        data = data["events"]
    if not isinstance(data, list):
        raise ImportFileError("is not a list of experiment events", path)
    for n, event in enumerate(data):
        if not isinstance(event, dict):
            raise ImportFileError("is not an object", path, f"event {n + 1}")
    return list(enumerate(data))


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    from .table import read_rows

    events = []
    for n, (where, row) in enumerate(read_rows(path, "csv")):
        event: dict = {}
        for column, value in row.items():
            head, dot, rest = column.partition(".")
            if dot and head in ("scores", "metadata", "metrics"):
                event.setdefault(head, {})[rest] = _cell(value, numeric=head != "metadata")
            else:
                event[column] = _cell(value, numeric=False, parse=column in JSON_COLUMNS)
        for column in ("scores", "metadata"):
            if event.get(column) is not None and not isinstance(event[column], dict):
                raise ImportFileError(f"{column} is {row[column]!r}; expected a JSON object", path, where)
        events.append((n, event))
    return events


def _cell(value: str, numeric: bool, parse: bool = False):
    if value == "":
        return None
    if numeric:
        try:
            return float(value)
        except ValueError:
            return value
    if parse and (value.lstrip()[:1] in ("{", "[") or value in ("true", "false")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


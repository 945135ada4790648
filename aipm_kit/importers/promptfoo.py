"""promptfoo: the results JSON that ``promptfoo eval -o results.json`` writes (results format version 3).

Each of ``results.results[]`` is one test run against one prompt and provider: ``testIdx``, ``promptIdx``,
``provider``, ``prompt``, ``testCase`` (``vars``, ``metadata``, ``assert``, ``description``), ``response.output``,
``success``, ``score`` and ``gradingResult``. It becomes one row of the kit's eval table:

- ``input``: the test's vars other than ``expected`` (the one var's text, or its vars as JSON); ``--map
  input=prompt.raw`` takes the rendered prompt instead. ``expected``: ``vars.expected``, else the first assert's
  text value. ``output``: ``response.output`` (an error's text when the provider failed). ``passed``:
  ``success``; ``score``: ``score``.
- ``category`` and ``slice``: the test's ``metadata`` (or ``vars``) of those names; every other metadata key
  (``forbidden_output`` …) is a column of its own. An assert's ``metric`` name is a column too, true when
  every assert of that metric passed: name a metric ``answer_correct`` or ``citation_supported`` and question
  6's labels grader reads it.
- Several prompts or providers in one file are a ``variant`` column (``provider · prompt``), never merged;
  ``--variant NAME`` keeps one, so two variants can be imported as a run and its baseline with the same ids.
- ``id``: the test's ``metadata.id`` when it has one, else ``t1``, ``t2`` … in test order; ``-r2`` marks the
  second repeat, and ``variant/`` leads when the file holds several variants.
- ``repeat``: promptfoo writes each repeat as a test of its own, so repeats are recognised by their test
  (description, vars, metadata and asserts) and share a ``group``; the group holds the variant, so the same
  input under two prompts is two cases, not a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .evalrows import ImportFileError, Imported, Record, eval_table, text
from .provenance import provenance

TOOL = "promptfoo"
TEXT_ASSERTS = ("equals", "contains", "icontains", "starts-with", "regex", "contains-any", "icontains-any")


def read(path: str | os.PathLike, mapping: dict | None = None, variant: str | None = None) -> Imported:
    """The eval table in the promptfoo results file at ``path`` (one variant with ``variant``)."""
    path = Path(path)
    data = _load(path)
    results = data["results"].get("results")
    if not isinstance(results, list):
        raise ImportFileError("results.results is not a list of test results; is this the file `promptfoo eval "
                              "-o FILE.json` wrote?", path)
    for n, item in enumerate(results):
        where = f"results.results[{n}]"
        if not isinstance(item, dict):
            raise ImportFileError("is not an object", path, where)
        for key in ("testIdx", "testCase", "success"):
            if key not in item:
                raise ImportFileError(f"missing field {key!r}", path, where)
        if not isinstance(item["testCase"], dict):
            raise ImportFileError("testCase is not an object", path, where)

    names = [_variant_parts(item) for item in results]
    providers = {p for p, _ in names}
    prompts = {q for _, q in names}
    labels = [" · ".join(part for part, many in ((p, len(providers) > 1), (q, len(prompts) > 1)) if many)
              for p, q in names]
    found = list(dict.fromkeys(labels))
    positions = list(range(len(results)))  # each test result's place in the file, for the error messages
    if variant is not None:
        if variant not in found:
            raise ImportFileError(f"--variant {variant!r} is not in the file; its variants are: "
                                  f"{', '.join(found) or '(only one)'}", path)
        keep = [label == variant for label in labels]
        results = [item for item, k in zip(results, keep) if k]
        positions = [p for p, k in zip(positions, keep) if k]
        labels = [label for label, k in zip(labels, keep) if k]

    # a repeat is the same test again: number the distinct tests per variant, and the repeats of each
    order = sorted(range(len(results)), key=lambda i: (labels[i], results[i]["testIdx"]))
    tests: dict[tuple[str, str], int] = {}
    repeats: dict[tuple[str, str], int] = {}
    per_variant: dict[str, int] = {}
    keys = {}
    for i in order:
        key = (labels[i], _test_key(results[i]["testCase"]))
        if key not in tests:
            per_variant[labels[i]] = tests[key] = per_variant.get(labels[i], 0) + 1
        repeats[key] = repeats.get(key, 0) + 1
        keys[i] = (key, tests[key], repeats[key])
    repeated = any(n > 1 for n in repeats.values())
    several = len(set(labels)) > 1

    records = []
    for i, item in enumerate(results):
        (key, number, repeat) = keys[i]
        name = _own_id(results[i]["testCase"]) or f"t{number}"
        case_id = name + (f"-r{repeat}" if repeated else "")
        if several:
            case_id = f"{labels[i]}/{case_id}"
        group = (f"{labels[i]}/{name}" if several else name) if several or repeated else ""
        records.append(_record(item, path, f"results.results[{positions[i]}]", case_id, labels[i], group))
    frame, notes = eval_table(records, path, mapping)
    if several:
        notes.insert(0, f"{len(set(labels))} variants, one column 'variant' ({', '.join(dict.fromkeys(labels))}): "
                        "judge one with --variant NAME, or add 'variant' to question 6's slice_columns.")
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    record = provenance(TOOL, path, tool_version=meta.get("promptfooVersion"),
                        file_format=f"promptfoo results JSON, version {data['results'].get('version', '?')}",
                        mapping=mapping, cases=len(frame), variant=variant,
                        variants=sorted(set(labels)) if several else [],
                        eval_id=data.get("evalId"), created=data["results"].get("timestamp"))
    imported = Imported(frame, record, notes)
    record["passed"] = imported.passed if "passed" in frame.columns else None
    return imported


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ImportFileError("is not UTF-8 text; expected the JSON `promptfoo eval -o FILE.json` writes", path) \
            from None
    except ValueError as exc:
        raise ImportFileError(f"is not valid JSON ({exc})", path) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ImportFileError("has no 'results' object; expected the JSON `promptfoo eval -o FILE.json` writes "
                              "(a .csv or .html output cannot be imported)", path)
    return data


def _variant_parts(item: dict) -> tuple[str, str]:
    provider = item.get("provider")
    if isinstance(provider, dict):
        provider = provider.get("label") or provider.get("id")
    prompt = item.get("prompt") if isinstance(item.get("prompt"), dict) else {}
    return text(provider) or "provider", text(prompt.get("label") or item.get("promptIdx", ""))


def _own_id(test: dict) -> str:
    """The test's own id, when its metadata has one (tests ``aipm-kit export promptfoo`` wrote do)."""
    metadata = test.get("metadata") if isinstance(test.get("metadata"), dict) else {}
    return text(metadata.get("id")).strip()


def _test_key(test: dict) -> str:
    """The test's identity: repeats of one test share it (promptfoo gives each repeat its own testIdx)."""
    parts = {k: test.get(k) for k in ("description", "vars", "metadata", "assert")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _record(item: dict, path: Path, where: str, case_id: str, variant: str, group: str) -> Record:
    test = item["testCase"]
    variables = test.get("vars") if isinstance(test.get("vars"), dict) else {}
    metadata = {k: v for k, v in (test.get("metadata") or {}).items() if not str(k).startswith("_")}
    inputs = {k: v for k, v in variables.items() if k != "expected"}
    the_input = text(next(iter(inputs.values()))) if len(inputs) == 1 else text(inputs) if inputs else ""
    expected = variables.get("expected")
    if expected is None:
        for check in test.get("assert") or []:
            if isinstance(check, dict) and check.get("type") in TEXT_ASSERTS and isinstance(check.get("value"), str):
                expected = check["value"]
                break
    response = item.get("response") if isinstance(item.get("response"), dict) else {}
    output = response.get("output")
    if output is None and item.get("error"):
        output = f"(error) {item['error']}"
    values = {
        "id": case_id, "input": the_input, "expected": expected, "output": output,
        "category": metadata.get("category", variables.get("category")),
        "slice": metadata.get("slice", variables.get("slice")),
        "passed": item["success"], "score": item.get("score"), "group": group, "variant": variant,
    }
    extra = {k: v for k, v in metadata.items() if k not in ("category", "slice", "id")}
    extra.update(_metric_passes(item.get("gradingResult")))
    return Record(where, values, raw=item, extra=extra)


def _metric_passes(grading) -> dict[str, bool]:
    """Each named assert metric, true when every assert of that metric passed."""
    out: dict[str, bool] = {}
    components = grading.get("componentResults") if isinstance(grading, dict) else None
    for component in components or []:
        assertion = component.get("assertion") if isinstance(component, dict) else None
        metric = assertion.get("metric") if isinstance(assertion, dict) else None
        if metric:
            out[str(metric)] = out.get(str(metric), True) and bool(component.get("pass"))
    return out

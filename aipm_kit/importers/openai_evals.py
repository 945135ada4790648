"""OpenAI evals: the JSONL record log that ``oaieval COMPLETION_FN EVAL --record_path FILE`` writes.

The open-source ``evals`` framework's ``LocalRecorder`` (``evals/record.py``) writes one JSON object a line: a
first ``{"spec": {...}}`` line (eval_name, completion_fns, run_id, created_by …), then one ``Event`` per line
(``run_id``, ``event_id``, ``sample_id``, ``type``, ``data``, ``created_by``, ``created_at``), and last a
``{"final_report": {...}}`` line. Supported event types:

- ``match`` (``record_match``: ``correct``, ``expected``, ``picked``, ``sampled``, ``options``), written by the
  match, includes and fuzzy-match families of evals: one row per match event, ``passed`` = ``correct``,
  ``expected`` the ideal answer(s), ``output`` what the model sampled (else what was picked);
- ``sampling`` (``record_sampling``: ``prompt``, ``sampled``), written by the OpenAI completion functions: the
  sample's ``input`` (the last user message of a chat prompt) and, for a sample without a match, its output;
- ``metrics`` (``record_metrics``): each number is a column of its own, and a sample with no match event but
  a ``score`` (model-graded evals) is scored by it.

Other event types (``embedding``, ``cond_logp``, ``pick_option``, ``function_call``, ``raw``, ``error``,
``extra``) are skipped, and counted in the notes. The log has no category or slice: map them with ``--map``
from the merged record ``{"sample_id", "match": {...}, "sampling": {...}, "metrics": {...}}``. The sample id is
the ``group`` of a sample with several matches, so they count as one unit. The log does not name the evals version.
"""

from __future__ import annotations

import os
from pathlib import Path

from .evalrows import ImportFileError, Imported, Record, eval_table, json_lines, text
from .provenance import provenance

TOOL = "openai-evals"
SUPPORTED = ("match", "sampling", "metrics")


def read(path: str | os.PathLike, mapping: dict | None = None) -> Imported:
    """The eval table in the ``oaieval`` record log at ``path``."""
    path = Path(path)
    spec, report, events = _load(path)
    samples: dict[str, dict] = {}
    skipped: dict[str, int] = {}
    for line, event in events:
        kind, sample_id, data = event.get("type"), event.get("sample_id"), event.get("data")
        if kind not in SUPPORTED:
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
            continue
        if sample_id is None or not isinstance(data, dict):
            raise ImportFileError(f"a {kind!r} event without sample_id or data", path, f"line {line}")
        sample = samples.setdefault(str(sample_id), {"sample_id": str(sample_id), "line": line, "match": [],
                                                     "sampling": [], "metrics": {}})
        if kind == "metrics":
            sample["metrics"].update(data)
        else:
            if kind == "match" and not isinstance(data.get("correct"), bool):
                raise ImportFileError(f"match event field 'correct' is {data.get('correct')!r}; expected true or "
                                      "false", path, f"line {line}")
            sample[kind].append((line, data))

    records = []
    for sample_id, sample in samples.items():
        sampling = sample["sampling"][-1][1] if sample["sampling"] else {}
        matches = sample["match"] or [(sample["line"], None)]
        for n, (line, match) in enumerate(matches, start=1):
            raw = {"sample_id": sample_id, "match": match or {}, "sampling": sampling, "metrics": sample["metrics"]}
            records.append(_record(raw, path, f"line {line} (sample {sample_id!r})",
                                   f"{sample_id}#{n}" if len(matches) > 1 else sample_id))
    frame, notes = eval_table(records, path, mapping)
    if skipped:
        notes.append("skipped events of types the importer does not read: "
                     + ", ".join(f"{k} ({v})" for k, v in sorted(skipped.items())))
    record = provenance(TOOL, path, tool_version=None, file_format="oaieval record log (evals.record.LocalRecorder "
                                                                   "JSONL), match/sampling/metrics events",
                        mapping=mapping, cases=len(frame), eval_name=spec.get("eval_name"),
                        completion_fns=spec.get("completion_fns"), run_id=spec.get("run_id"),
                        created=spec.get("created_at"), final_report=report)
    imported = Imported(frame, record, notes)
    record["passed"] = imported.passed if "passed" in frame.columns else None
    return imported


def _load(path: Path) -> tuple[dict, dict | None, list[tuple[int, dict]]]:
    spec, report, events = None, None, []
    for number, item in json_lines(path, "the JSONL log oaieval writes"):
        if "spec" in item:
            spec = item["spec"] if isinstance(item["spec"], dict) else {}
        elif "final_report" in item:
            report = item["final_report"]
        elif "type" in item:
            events.append((number, item))
        else:
            raise ImportFileError("is neither the spec, an event (with 'type') nor the final report", path,
                                  f"line {number}")
    if spec is None:
        raise ImportFileError("has no {\"spec\": …} line: not a record log of oaieval", path)
    return spec, report, events


def _record(raw: dict, path: Path, where: str, case_id: str) -> Record:
    match, sampling, metrics = raw["match"], raw["sampling"], raw["metrics"]
    if match:
        passed, score = match["correct"], None
        output = match.get("sampled", match.get("picked"))
    elif isinstance(metrics.get("score"), (int, float)) and not isinstance(metrics.get("score"), bool):
        passed, score, output = None, metrics["score"], sampling.get("sampled")
    else:
        raise ImportFileError("has no match event and no metrics score: nothing says whether it passed", path,
                              where)
    expected = match.get("expected") if match else None
    if isinstance(expected, list) and len(expected) == 1:
        expected = expected[0]
    if isinstance(output, list) and len(output) == 1:
        output = output[0]
    values = {"id": case_id, "group": raw["sample_id"] if case_id != raw["sample_id"] else "",
              "input": _prompt_text(sampling.get("prompt")), "expected": expected, "output": output,
              "passed": passed, "score": score}
    extra = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str, bool))}
    if match and match.get("picked") is not None and "sampled" in match:
        extra["picked"] = text(match["picked"])
    return Record(where, values, raw=raw, extra=extra)


def _prompt_text(prompt) -> str:
    if isinstance(prompt, list):
        users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"] or prompt
        last = users[-1] if users else ""
        return text(last.get("content", "") if isinstance(last, dict) else last)
    return text(prompt)

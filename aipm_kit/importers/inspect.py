"""inspect_ai: an eval log, the ``.eval`` archive (the default) or ``.json`` (``--log-format json``).

Each sample of each epoch becomes one row: ``id`` is the sample's id (``-e2`` for its second epoch when the task
ran several), ``group`` the sample's id, so question 6 counts a sample once however many epochs ran it.
``input`` is the sample's input (the last user message when it is a chat), ``expected`` its target,
``output`` the model's completion. The first scorer of the task decides ``passed`` and ``score``: C (correct)
passes with score 1, I (incorrect) and N (no answer) fail with 0, P (partial) fails with 0.5, true/false as
they are, and a number is a score for question 6's score grader. Every other scorer's value is a column named
after it. ``category`` and ``slice`` come from the sample's metadata; its other keys are columns too.

The log is read with inspect_ai's own ``read_eval_log`` when inspect_ai is installed, and as plain JSON (the
``.eval`` archive with ``zipfile``; its members are zstd-compressed since inspect_ai 0.3.x, read with
``zstandard``) when it is not. Both give the same table.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from pathlib import Path

from .evalrows import ImportFileError, Imported, Record, eval_table, text
from .provenance import provenance

TOOL = "inspect_ai"
VALUES = {"C": (True, 1.0), "I": (False, 0.0), "N": (False, 0.0), "P": (False, 0.5)}
ZSTD = 93  # the zip compression method inspect_ai writes .eval members with


def read(path: str | os.PathLike, mapping: dict | None = None, reader: str = "auto") -> Imported:
    """The eval table in the inspect_ai log at ``path``.

    ``reader`` is ``"inspect_ai"`` (its ``read_eval_log``), ``"plain"`` (zipfile and json) or ``"auto"``
    (inspect_ai when it is installed).
    """
    path = Path(path)
    if reader == "auto":
        try:
            import inspect_ai  # noqa: F401
            reader = "inspect_ai"
        except ImportError:
            reader = "plain"
    header, samples = _read_with_inspect(path) if reader == "inspect_ai" else _read_plain(path)
    if not samples:
        raise ImportFileError("holds no samples (was the task run with --no-log-samples?)", path)
    spec = header.get("eval") if isinstance(header.get("eval"), dict) else {}
    scorers = [s.get("name") for s in spec.get("scorers") or [] if isinstance(s, dict) and s.get("name")]
    epochs = max(int(s.get("epoch") or 1) for s in samples)
    # a sample that ended in an error has no score; inspect's own metrics leave it out, and so does the table
    failed = [s for s in samples if s.get("error") and not s.get("scores")]
    records = [_record(sample, n, path, scorers, epochs > 1) for n, sample in enumerate(samples)
               if not (sample.get("error") and not sample.get("scores"))]
    frame, notes = eval_table(records, path, mapping)
    if failed:
        notes.append(f"{len(failed)} samples ended in an error and have no score; left out, as inspect_ai's "
                     f"metrics leave them out (first: {failed[0].get('id')!r})")
    status = header.get("status")
    if status and status != "success":
        notes.append(f"the run's status is {status!r}: it may hold fewer samples than the task has.")
    packages = spec.get("packages") if isinstance(spec.get("packages"), dict) else {}
    record = provenance(TOOL, path, tool_version=packages.get("inspect_ai"),
                        file_format=f"inspect_ai eval log ({path.suffix.lstrip('.') or 'json'}), version "
                                    f"{header.get('version', '?')}",
                        mapping=mapping, cases=len(frame), task=spec.get("task"), model=spec.get("model"),
                        epochs=epochs, scorer=scorers[0] if scorers else None, created=spec.get("created"),
                        reader=reader)
    imported = Imported(frame, record, notes)
    record["passed"] = imported.passed if "passed" in frame.columns else None
    return imported


# ---- the two readers: each gives the log's header and its samples as plain JSON objects --------------------

def _read_with_inspect(path: Path) -> tuple[dict, list[dict]]:
    from inspect_ai.log import read_eval_log

    try:
        log = read_eval_log(str(path), resolve_attachments=True)
    except Exception as exc:  # inspect_ai raises its own errors for a file that is not a log
        raise ImportFileError(f"inspect_ai cannot read it as an eval log ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''})", path) from None
    header = log.model_dump(mode="json", exclude={"samples"}, exclude_none=True)
    samples = [s.model_dump(mode="json", exclude_none=True) for s in log.samples or []]
    return header, samples


def _read_plain(path: Path) -> tuple[dict, list[dict]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "header.json" not in names and "_journal/start.json" not in names:
                raise ImportFileError("is a zip archive without header.json: not an inspect_ai .eval log", path)
            header = _member(archive, "header.json" if "header.json" in names else "_journal/start.json", path)
            sample_names = sorted((n for n in names if n.startswith("samples/") and n.endswith(".json")))
            samples = [_member(archive, n, path) for n in sample_names]
        samples.sort(key=lambda s: (int(s.get("epoch") or 1), _order(header, s.get("id"))))
        return header, [_resolved(s) for s in samples]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImportFileError(f"is neither an .eval archive nor a JSON eval log ({type(exc).__name__})", path) \
            from None
    if not isinstance(data, dict) or "eval" not in data:
        raise ImportFileError("has no 'eval' object: not an inspect_ai JSON log", path)
    samples = data.get("samples") or []
    return {k: v for k, v in data.items() if k != "samples"}, [_resolved(s) for s in samples]


def _order(header: dict, sample_id) -> int:
    ids = ((header.get("eval") or {}).get("dataset") or {}).get("sample_ids") or []
    return ids.index(sample_id) if sample_id in ids else len(ids)


def _member(archive: zipfile.ZipFile, name: str, path: Path) -> dict:
    info = archive.getinfo(name)
    if info.compress_type == ZSTD and not _zipfile_reads_zstd():
        data = _zstd_member(archive, info, path)
    else:
        data = archive.read(name)
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ImportFileError(f"{name} in the archive is not valid JSON ({exc})", path) from None


def _zipfile_reads_zstd() -> bool:
    return hasattr(zipfile, "ZIP_ZSTANDARD")  # Python 3.14 reads zstd members itself


def _zstd_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A zstd-compressed member's bytes: its local header skipped, the stored frames decompressed."""
    try:
        import zstandard
    except ImportError:
        raise ImportFileError("the .eval archive is zstd-compressed: install inspect_ai or zstandard "
                              "(pip install 'aipm-kit[importers]'), or write the log with --log-format json",
                              path) from None
    handle = archive.fp
    handle.seek(info.header_offset)
    local = handle.read(30)
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    compressed = handle.read(info.compress_size)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(compressed), read_across_frames=True)
    return reader.read()


def _resolved(sample: dict) -> dict:
    """The sample with ``attachment://…`` references (long texts kept once) replaced by their text."""
    attachments = sample.get("attachments") or {}
    if not attachments:
        return sample

    def resolve(value):
        if isinstance(value, str) and value.startswith("attachment://"):
            return attachments.get(value[len("attachment://"):], value)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    return {k: (resolve(v) if k in ("input", "target", "output", "scores", "metadata") else v)
            for k, v in sample.items()}


# ---- one sample → one row ------------------------------------------------------------------------------

def _record(sample: dict, n: int, path: Path, scorers: list[str], several_epochs: bool) -> Record:
    where = f"sample {n + 1}"
    if "id" not in sample:
        raise ImportFileError("missing field 'id'", path, where)
    epoch = int(sample.get("epoch") or 1)
    where = f"sample {sample['id']!r} epoch {epoch}"
    scores = sample.get("scores") or {}
    if not scores:
        raise ImportFileError("has no scores (was the log scored? `inspect score LOG` scores it)", path, where)
    names = [s for s in scorers if s in scores] + [s for s in scores if s not in scorers]
    passed, score = _outcome(scores[names[0]].get("value"), path, where, names[0])
    metadata = sample.get("metadata") or {}
    output = sample.get("output") or {}
    values = {
        "id": f"{sample['id']}-e{epoch}" if several_epochs else sample["id"],
        "group": sample["id"] if several_epochs else "",
        "input": _message_text(sample.get("input")),
        "expected": _target_text(sample.get("target")),
        "output": output.get("completion", "") if isinstance(output, dict) else output,
        "category": metadata.get("category"), "slice": metadata.get("slice"),
        "passed": passed, "score": score,
    }
    extra = {k: v for k, v in metadata.items() if k not in ("category", "slice")}
    for name in names[1:]:
        value = scores[name].get("value")
        extra[name] = value if not isinstance(value, dict) else text(value)
    return Record(where, values, raw=sample, extra=extra)


def _outcome(value, path: Path, where: str, scorer: str) -> tuple[bool | None, float | None]:
    if isinstance(value, str) and value in VALUES:
        return VALUES[value]
    if isinstance(value, bool):
        return value, float(value)
    if isinstance(value, (int, float)):
        return None, float(value)
    raise ImportFileError(f"scorer {scorer!r} gave {value!r}; expected C, I, P, N, true/false or a number (name "
                          f"another with --map passed=scores.NAME.value)", path, where)


def _message_text(value) -> str:
    """A sample's input: the text itself, or the last user message of a chat."""
    if isinstance(value, list):
        users = [m for m in value if isinstance(m, dict) and m.get("role") == "user"] or value
        last = users[-1] if users else {}
        content = last.get("content", "") if isinstance(last, dict) else last
        if isinstance(content, list):
            return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
        return text(content)
    return text(value)


def _target_text(value) -> str:
    if isinstance(value, list):
        return text(value[0]) if len(value) == 1 else text(value)
    return text(value)

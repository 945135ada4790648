"""A case file on disk: YAML read and written by ruamel.yaml, and saves that cannot lose or half-write it.

Reading is ruamel's round trip (YAML 1.2) with what a case file may not hold refused as it is read: anchors,
aliases, explicit tags, deep nesting, overlong numbers. Writing edits a loaded document in place (``_merge``),
so comments, order and quoting stay, and writes any text in a style that reads back as the same text.
Saving replaces a file atomically, durably, keeping its mode and the previous version. ``case.py`` builds the
case on top (its errors, its sections, the commented template).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import stat
import time
import typing
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (DoubleQuotedScalarString, LiteralScalarString, ScalarString,
                                      SingleQuotedScalarString)

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; the content-hash check still refuses a lost update
    fcntl = None  # type: ignore[assignment]


# ---- YAML: ruamel.yaml round trip, YAML 1.2, no anchors, aliases or tags, bounded ---------------------------

MAX_DEPTH = 20
"""Nesting a case file may use: section → table → row → field is four levels; twenty leaves room and stops a
file of ``[[[[…`` from exhausting the parser's stack."""
MAX_NUMBER_CHARS = 50
"""Longest number a case file may write. Python refuses to read an integer of over 4,300 digits and no answer
needs more than twenty; a limit well below both keeps the message ours."""


# What a YAML file can hold as written: printable characters, tabs and line feeds. Anything else is written
# double-quoted, where it is an escape. That includes NEL and the line/paragraph separators, which YAML
# readers (ruamel's like PyYAML's) take for line breaks wherever they appear raw, a carriage return and a BOM.
_NEEDS_ESCAPES = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


class _Refused(Exception):
    """Something a case file may not contain, found while reading it (with where, when known)."""

    def __init__(self, problem: str, where: list[Any] | None = None):
        super().__init__(problem)
        self.problem, self.where = problem, list(where or [])


class _DateText(str):
    """An unquoted date (``due: 2025-07-31``) read as the text written, and written back unquoted.

    YAML 1.2's core schema has no dates; the plans in a case keep a date as the text the user wrote, and a
    question that needs a date checks it as a field (so ``2026-13-45`` is a field error, not a crash)."""


class _CaseComposer(Composer):
    """ruamel's composer, refusing anchors, aliases, explicit tags, deep nesting and overlong numbers."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._where: list[Any] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        pushed = parent is not None
        if pushed:  # where we are, to name the section and field in a message
            self._where.append(index.value if isinstance(index, ScalarNode) else index)
        try:
            self._check(self.parser.peek_event())
            return super().compose_node(parent, index)
        finally:
            if pushed:
                self._where.pop()

    def _check(self, event: Any) -> None:
        line = f"line {event.start_mark.line + 1}: "
        if isinstance(event, AliasEvent):
            raise _Refused(f"{line}YAML aliases (*{event.anchor}) are not allowed in a case file; write the "
                           f"value out", self._where)
        if event.anchor is not None:
            raise _Refused(f"{line}YAML anchors (&{event.anchor}) and aliases are not allowed in a case file; "
                           f"write each value out", self._where)
        tag = getattr(event, "ctag", None)
        if tag is not None:
            shown = f"{tag.handle or ''}{tag.suffix or ''}" or str(tag)
            raise _Refused(f"{line}YAML tags ({shown}) are not allowed in a case file; write the plain value "
                           f"(in quotes to keep it as text)", self._where)
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"{line}nested more than {MAX_DEPTH} levels deep; a case file needs a few",
                           self._where[:3])
        if isinstance(event, ScalarEvent) and event.style is None and len(event.value) > MAX_NUMBER_CHARS:
            kind = str(self.resolver.resolve(ScalarNode, event.value, event.implicit))
            if kind.endswith((":int", ":float")):
                raise _Refused(f"{line}a number written with {len(event.value):,} characters; a case file's "
                               f"numbers have at most {MAX_NUMBER_CHARS}", self._where)


class _CaseConstructor(RoundTripConstructor):
    def construct_date_text(self, node: Any) -> _DateText:
        return _DateText(node.value)


_CaseConstructor.add_constructor("tag:yaml.org,2002:timestamp", _CaseConstructor.construct_date_text)


class _CaseRepresenter(RoundTripRepresenter):
    def represent_text(self, data: str) -> Any:
        style = '"' if _NEEDS_ESCAPES.search(data) else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_date_text(self, data: _DateText) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:timestamp", str(data))


_CaseRepresenter.add_representer(str, _CaseRepresenter.represent_text)


_CaseRepresenter.add_representer(_DateText, _CaseRepresenter.represent_date_text)


def _yaml() -> YAML:
    """A round-trip YAML 1.2 reader/writer set up for case files (one per use: they are not thread-safe)."""
    y = YAML(typ="rt")
    y.Composer, y.Constructor, y.Representer = _CaseComposer, _CaseConstructor, _CaseRepresenter
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a user's long line; folded (>) text keeps its own folds
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _parse(text: str) -> Any:
    return _yaml().load(text)


def _render(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> Any:
    """ruamel's round-trip values (commented maps, scalar subclasses) as plain Python values."""
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if isinstance(key, (tuple, dict, list)):
                raise _Refused("a mapping key must be a name, found a list or mapping")
            plain[str(key) if isinstance(key, str) else key] = _plain(item)
        return plain
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _node(value: Any) -> Any:
    """A plain value as the YAML node to write: whole floats as integers, multi-line text as a | block."""
    if isinstance(value, dict):
        return CommentedMap((key, _node(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_node(item) for item in value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # 54000, not 54000.0: the file reads as a person wrote it
    if isinstance(value, str) and "\n" in value.rstrip("\n") and not _NEEDS_ESCAPES.search(value) \
            and not value.endswith("\n"):
        # a | block with strip chomping (|-): a block that keeps final line breaks (|+) would also keep the
        # blank line a comment below it brings, so text ending in a line break is left to quotes
        return LiteralScalarString(value)
    return value


def _set(container: Any, key: Any, value: Any) -> None:
    """``container[key] = value``, keeping a quoted value quoted where that is safe.

    ruamel gives a new text the style of the one it replaces; a folded (>) or single-quoted style cannot hold
    every text (leading spaces, NEL), so only quotes are kept, and only for text they hold as written.
    """
    old = container[key] if key in container else None
    if isinstance(value, str) and not isinstance(value, ScalarString) and isinstance(old, ScalarString):
        quoted = isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString))
        if quoted and "\n" not in value and not _NEEDS_ESCAPES.search(value):
            value = type(old)(value)
        if isinstance(container, CommentedSeq):
            list.__setitem__(container, key, value)
        else:
            dict.__setitem__(container, key, value)  # ordereddict keeps the key's place; skip the style copy
        return
    container[key] = value


def _same(a: Any, b: Any) -> bool:
    """Equal as answers: 15 and 15.0 are, True and 1 are not, and lists and mappings compare item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _merge(node: Any, new: Any, before: Any) -> Any:
    """The node to write for ``new``: ``node`` itself, edited where ``new`` differs from ``before``.

    ``before`` is what the file's node meant when it was read (defaults filled in), so a field the user left
    out stays out unless its value changed, and an unchanged value keeps its comments, quotes and folds.
    """
    if _same(before, new):
        return node
    if isinstance(node, CommentedMap) and isinstance(new, dict):
        before = before if isinstance(before, dict) else {}
        for key, value in new.items():
            if key in node:
                _set(node, key, _merge(node[key], value, before.get(key, _plain(node[key]))))
            elif key not in before or not _same(before[key], value):
                _append(node, key, _node(value))
        for key in [k for k in node if k not in new]:
            del node[key]
        return node
    if isinstance(node, CommentedSeq) and isinstance(new, list):
        before = before if isinstance(before, list) else []
        for index, value in enumerate(new):
            if index < len(node):
                _set(node, index, _merge(node[index], value, before[index] if index < len(before) else None))
            else:
                item = _node(value)
                if len(node) and isinstance(node[0], CommentedMap) and isinstance(item, CommentedMap):
                    if node[0].fa.flow_style():
                        item.fa.set_flow_style()  # a new row looks like the rows above it
                node.append(item)
        while len(node) > len(new):
            node.pop()
        return node
    return _node(new)


def _append(mapping: Any, key: str, value: Any) -> None:
    """Add ``key`` at the end of ``mapping``, below the comment lines that end it (they belong to what follows)."""
    trailing = _pop_trailing_comment(mapping) if len(mapping) else ""
    mapping[key] = value
    if trailing:
        _set_trailing_comment(mapping, key, trailing)


def _pop_trailing_comment(node: Any) -> str:
    """Remove and return the comment lines after ``node``'s last entry (ruamel keeps them on that entry)."""
    if not isinstance(node, (CommentedMap, CommentedSeq)):
        return ""
    if node.ca.end:
        text = "".join(token.value for token in node.ca.end)
        node.ca.end = []
        return text
    if not len(node):
        return ""
    last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    slot = 2 if isinstance(node, CommentedMap) else 0
    tokens = node.ca.items.get(last)
    token = tokens[slot] if tokens and len(tokens) > slot else None
    if token is not None and isinstance(getattr(token, "value", None), str) and "\n" in token.value:
        own, _, rest = token.value.partition("\n")
        if rest:
            if own.strip():
                token.value = own + "\n"
            else:
                tokens[slot] = None
            return rest
        return ""
    return _pop_trailing_comment(node[last])


def _set_trailing_comment(node: Any, key: Any, text: str) -> None:
    """Put comment lines after ``node[key]`` (on its last scalar, where ruamel reads such lines into)."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    value = node[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
        _set_trailing_comment(value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1, text)
        return
    slot = 2 if isinstance(node, CommentedMap) else 0
    node.ca.items.setdefault(key, [None, None, None, None])[slot] = CommentToken("\n" + text, CommentMark(0), None)


# ---- saving safely: a lock, an atomic and durable write, a backup ------------------------------------------

LOCK_TIMEOUT = 10.0
"""Seconds a save waits for another save of the same file to finish."""


class LockTimeout(TimeoutError):
    """Another save held the file's lock for longer than ``LOCK_TIMEOUT``."""


def backup_path(path: Path) -> Path:
    """Where a save keeps the previous version: ``name.yaml.bak`` (not ``*.yaml``: the app lists those)."""
    return path.with_name(f"{path.name}.bak")


@contextlib.contextmanager
def _file_lock(path: Path) -> typing.Iterator[None]:
    """An advisory lock on ``path`` (a side file, since saving replaces the case file itself)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"another save of this file has held it for {LOCK_TIMEOUT:.0f} s; "
                                          f"nothing was saved, try again") from None
                    time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_file(path: Path, data: bytes, previous: bytes | None = None) -> None:
    """Replace ``path`` with ``data`` atomically and durably; keep ``previous`` as its backup.

    A new file gets the user's umask (the kernel applies it to the 0o666 asked for); an existing one keeps its
    mode. The data is fsynced before the rename and the folder after it, so a crash leaves the old file or the
    new one, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if previous is not None:
            _write_file(backup_path(path), previous)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, so a reader never sees half a file."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"expected text to write, found {type(text).__name__}")
    _write_file(Path(path), text.encode("utf-8") if isinstance(text, str) else text)

"""The eval set's health: how many distinct inputs it holds, which rows repeat one, which are near-copies.

An eval set of 800 rows that holds 35 different tickets is evidence about 35 tickets, not 800: rows of one input
pass or fail together when the system is deterministic, so they do not add independent evidence. Question 6
counts the **distinct input** as the unit: the input text normalised (letter case folded, runs of white space
made one space), or the optional ``group`` column when the results file has one (an eval tool's epochs or
repeats of one sample: inspect_ai's epochs and promptfoo's repeats are imported into ``group``).

Near-duplicates (the same ticket with a different greeting or signature) are found with MinHash and
locality-sensitive hashing from ``datasketch``: the well-kept library for it (MinHash LSH as in Leskovec,
Rajaraman & Ullman, *Mining of Massive Datasets* ch. 3), pure Python on numpy, so it installs everywhere the
kit does. The answer is cached by the file's content hash, so a notebook re-run does not pay for it again.
Near-duplicates are reported, not merged into units: they are an estimate, and the reader decides.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

GROUP_COLUMN = "group"
NEAR_DUPLICATE_JACCARD = 0.8  # share of word 3-grams two inputs must share to count as near-copies
NEAR_DUPLICATE_PERMUTATIONS = 64
NEAR_DUPLICATE_LIMIT = 20_000  # distinct inputs analyze checks by itself; beyond it, call find_near_duplicates


def input_units(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Each row's unit of independence as an integer code, and what the unit is (``"input"`` or ``"group"``).

    The unit is the ``group`` column where the file has one and it is filled in, else the normalised input.
    A row with a blank ``group`` falls back to its input, so a partly grouped file still counts each input once.
    """
    codes, kind, _ = units_and_texts(frame)
    return codes, kind


def units_and_texts(frame: pd.DataFrame) -> tuple[np.ndarray, str, list[str]]:
    """:func:`input_units`, and the distinct normalised inputs (for the near-copy search) from the same pass."""
    normalised, texts = _normalised_codes(frame["input"])
    if GROUP_COLUMN not in frame.columns:
        return normalised, "input", texts
    group = frame[GROUP_COLUMN].astype(object).where(frame[GROUP_COLUMN].notna(), "").astype(str).str.strip()
    blank = (group == "").to_numpy()
    if blank.all():
        return normalised, "input", texts
    keys = np.where(blank, "input\x00" + pd.Series(normalised).astype(str).to_numpy(dtype=object),
                    "group\x00" + group.to_numpy(dtype=object))
    codes, _ = pd.factorize(keys)
    return codes.astype(np.int64), "group", texts


def normalise(text: str) -> str:
    """Letter case folded and white space collapsed: ``"  Help\\n me "`` → ``"help me"``."""
    return " ".join(str(text).casefold().split())


def _normalised_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    # each distinct raw text is normalised once; a million rows repeat a few thousand texts
    codes, uniques = pd.factorize(values)
    keys = np.fromiter((normalise(u) for u in np.asarray(uniques, dtype=object)), dtype=object, count=len(uniques))
    key_codes, distinct = pd.factorize(keys)
    return key_codes[codes].astype(np.int64), [str(t) for t in distinct]


def distinct_texts(values: pd.Series) -> list[str]:
    """The distinct inputs, normalised, in order of first appearance (each distinct raw text normalised once)."""
    uniques = pd.unique(np.asarray(values, dtype=object))
    return list(dict.fromkeys(normalise(u) for u in uniques))


def health(frame: pd.DataFrame, units: np.ndarray, passed: np.ndarray) -> dict:
    """Rows, distinct units, repeated rows, and output instability (one unit's rows disagreeing).

    ``unstable`` counts the units with more than one row whose pass/fail differ; ``outputs_differ`` those
    whose output text differs. A deterministic system gives the same answer to the same input, so either
    means the runs vary (sampling temperature, retrieval order) or the rows are not the same case after all.
    """
    units = np.asarray(units, dtype=np.int64)
    size = np.bincount(units)
    passes = np.bincount(units, weights=np.asarray(passed, dtype=bool))
    repeated = size > 1
    unstable = repeated & (passes > 0) & (passes < size)
    out_codes, _ = pd.factorize(frame["output"])
    width = int(out_codes.max()) + 1
    outputs_per_unit = np.bincount(np.unique(units * width + out_codes) // width, minlength=len(size))
    biggest = int(size.argmax())
    first_row = int(np.argmax(units == biggest))
    return {
        "rows": int(len(units)), "distinct": int((size > 0).sum()), "repeated_inputs": int(repeated.sum()),
        "repeat_rows": int(size[repeated].sum()), "largest": int(size.max()),
        "largest_input": str(frame["input"].iloc[first_row]),
        "unstable": int(unstable.sum()), "outputs_differ": int((repeated & (outputs_per_unit > 1)).sum()),
    }


# ---- near-duplicates --------------------------------------------------------------------------------------

def _shingles(text: str) -> set[str]:
    words = text.split()
    if len(words) < 3:
        return {text}
    return {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}


def near_duplicate_groups(texts, threshold: float = NEAR_DUPLICATE_JACCARD,
                          num_perm: int = NEAR_DUPLICATE_PERMUTATIONS) -> list[list[int]]:
    """Groups of near-copies among ``texts`` (positions into it), each group of two or more, largest first.

    Texts are compared on their word 3-grams after :func:`normalise`; two texts are near-copies when MinHash
    estimates their Jaccard similarity at ``threshold`` or more, and groups are the connected pairs. Exact
    copies are near-copies too: pass distinct texts to find only the near ones.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    from datasketch import LeanMinHash, MinHashLSH

    texts = [normalise(t) for t in texts]
    signatures = _signatures(texts, num_perm)
    hashes = [LeanMinHash(seed=1, hashvalues=row, scheme="legacy") for row in signatures]
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(hashes):
            session.insert(i, m, check_duplication=False)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            if j != i and m.jaccard(hashes[j]) >= threshold:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    found = [g for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: (-len(g), g[0]))


def _signatures(texts: list[str], num_perm: int) -> np.ndarray:
    """MinHash signatures of many texts at once: datasketch's permutations, applied in numpy.

    ``datasketch.MinHash`` hashes and permutes text by text (about 150 µs each); the same arithmetic on all
    shingles in one array is some 20 times faster. The shingles are hashed with pandas' stable hash, and the
    signatures are handed to datasketch as ``LeanMinHash`` objects, so its LSH index does the rest.
    """
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=1, scheme="legacy").permutations  # (a·h + b) mod p, as below
    prime, max_hash = np.uint64((1 << 61) - 1), np.uint64((1 << 32) - 1)
    shingles = [_shingles(t) for t in texts]
    lengths = np.fromiter((len(s) for s in shingles), dtype=np.int64, count=len(shingles))
    flat = np.fromiter((x for s in shingles for x in s), dtype=object, count=int(lengths.sum()))
    hashed = pd.util.hash_array(flat) & max_hash
    ends = np.cumsum(lengths)
    starts = ends - lengths
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    # blocks of about 20,000 shingles, permuted in place in one reused buffer: the arithmetic stays in cache
    first = 0
    buffer = np.empty((0, num_perm), dtype=np.uint64)
    while first < len(texts):
        last = int(np.searchsorted(ends, starts[first] + 20_000, side="right"))
        last = min(max(last, first + 1), len(texts))
        lo, hi = int(starts[first]), int(ends[last - 1])
        if buffer.shape[0] < hi - lo:
            buffer = np.empty((hi - lo, num_perm), dtype=np.uint64)
        work = buffer[: hi - lo]
        with np.errstate(over="ignore"):
            np.multiply(hashed[lo:hi, None], a, out=work)
            work += b
        work %= prime
        work &= max_hash
        out[first:last] = np.minimum.reduceat(work, starts[first:last] - lo, axis=0)
        first = last
    return out


def cache_dir() -> Path:
    """Where near-duplicate answers are kept: ``$AIPM_KIT_CACHE`` or ``~/.cache/aipm-kit``."""
    return Path(os.environ.get("AIPM_KIT_CACHE") or Path.home() / ".cache" / "aipm-kit")


_HASHES: dict[tuple, str] = {}  # (path, size, modified) → content hash: a form re-run does not re-read the file
_FOUND: dict[str, list] = {}  # cache key → near-copy groups, for this process


def file_hash(path: str | os.PathLike) -> str:
    """SHA-256 of the file's bytes, remembered for this process while its size and modification time stay."""
    stat = os.stat(path)
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = _sha256(path)
    return _HASHES[key]


def _sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_near_duplicates(path: str | os.PathLike, texts=None, threshold: float = NEAR_DUPLICATE_JACCARD
                         ) -> list[list[str]]:
    """Near-copy groups among the distinct inputs of the results file at ``path``, cached by its content hash.

    ``texts`` are the file's distinct normalised inputs (read from the file when not given). The answer is
    stored as JSON under :func:`cache_dir`; a changed file has another hash and is checked afresh. An unwritable
    cache is not an error: the answer is simply not kept.
    """
    key = f"{file_hash(path)}-{threshold:g}-{NEAR_DUPLICATE_PERMUTATIONS}"
    if key in _FOUND:
        return _FOUND[key]
    stored = cache_dir() / "near-duplicates" / f"{key}.json"
    try:
        _FOUND[key] = json.loads(stored.read_text(encoding="utf-8"))
        return _FOUND[key]
    except (OSError, ValueError):
        pass
    if texts is None:
        frame = pd.read_csv(path, usecols=["input"], dtype=str, na_filter=False)
        texts = distinct_texts(frame["input"])
    texts = [str(t) for t in texts]
    groups = [[texts[i] for i in g] for g in near_duplicate_groups(texts, threshold)]
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        partial = stored.with_suffix(".tmp")
        partial.write_text(json.dumps(groups), encoding="utf-8")
        partial.replace(stored)
    except OSError:
        pass
    _FOUND[key] = groups
    return groups

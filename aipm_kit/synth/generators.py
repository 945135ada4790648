"""The generators: one function per kind of data file, each driven by a small dict from a case's spec.

Every function takes a seeded ``numpy.random.Generator`` and a spec section, and returns a DataFrame. Texts come
from the spec's own vocabulary (templates with ``{placeholders}`` filled from ``fill``), so each case's data
speaks of its own product. Effects are built in by the spec's numbers (pass rates per category, a regression in
one slice, a drift in the traffic mix from a given week), never by code written for one case.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Template = "str | tuple[str, dict[str, str]]"  # a text, or a text with columns it sets (a slice, a priority)


# ---- texts ------------------------------------------------------------------------------------------------

def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _fill(rng: "np.random.Generator", template: str, fill: Mapping[str, Sequence[Any]], depth: int = 3) -> str:
    """``template`` with each placeholder drawn from ``fill``; a drawn value may hold placeholders of its own."""
    values = {name: fill[name][int(rng.integers(len(fill[name])))] for name in _fields(template)}
    text = template.format(**values)
    return _fill(rng, text, fill, depth - 1) if depth and _fields(text) else text


def _split(template: "Template") -> tuple[str, dict[str, str]]:
    return (template, {}) if isinstance(template, str) else (template[0], dict(template[1]))


def compose(rng: "np.random.Generator", templates: Sequence["Template"], fill: Mapping[str, Sequence[Any]],
            taken: set[str] | None = None, tries: int = 40) -> tuple[str, dict[str, str]]:
    """One text from ``templates``, with the columns its template sets; a text already in ``taken`` is drawn
    again (up to ``tries`` times), so a set built this way repeats itself only when its vocabulary runs out."""
    for _ in range(tries):
        text, attrs = _split(templates[int(rng.integers(len(templates)))])
        text = _fill(rng, text, fill)
        if taken is None or text not in taken:
            break
    if taken is not None:
        taken.add(text)
    return text, attrs


def _choice(rng: "np.random.Generator", shares: Mapping[str, float], n: int) -> "np.ndarray":
    import numpy as np

    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(np.array(list(shares), dtype=object), n, p=p / p.sum())


def _exact(rng: "np.random.Generator", shares: Mapping[str, float], n: int) -> "np.ndarray":
    """``n`` values in the given shares exactly (largest remainders), in random order."""
    import numpy as np

    p = np.array(list(shares.values()), dtype=float)
    raw = p / p.sum() * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.array(list(shares), dtype=object), counts))


def _texts_for(texts: Any, label: str) -> Sequence["Template"]:
    """A category's templates: one list for every label, or a list per label."""
    return texts[label] if isinstance(texts, Mapping) else texts


# ---- question 6: an eval run and the run it replaces -------------------------------------------------------

def eval_runs(rng: "np.random.Generator", spec: Mapping[str, Any],
              promoted: "pd.DataFrame | None" = None) -> "tuple[pd.DataFrame, pd.DataFrame]":
    """Two runs on the same eval cases, ``(candidate, baseline)``, in question 6's format.

    ``spec``: ``categories`` (name → (cases, candidate pass rate, baseline pass rate): the failures are exact
    counts; two in three of the candidate's failures fail in the baseline too), ``labels`` (expected value →
    share) or a category's fixed label in ``category_label``, ``confused`` (expected → the wrong output a
    failure gives; else another label), ``texts`` (category → templates, or label → templates), ``fill``,
    ``slices`` (column → value → share; a template or ``label_slices`` may set a value), optional
    ``regression`` ({column, value, share}: the candidate fails this share of that slice's cases the baseline
    passes; ``categories`` limits it to those), ``outputs`` (second outputs: column → {expected, accuracy,
    wrong}), ``label_columns`` (reviewer labels that equal ``passed``), ``id_prefix``, ``duplicates`` (share of
    rows that repeat an earlier case's input with the same expected value in the same category: 0 for a sound
    eval set, more for a flawed one) and ``distinct`` (category → how many distinct inputs its rows share: a
    few messages pasted in again and again; an expected value none of them has yet draws one more). A failed
    case whose template sets ``forbidden_output`` obeys it. ``promoted`` adds reviewed failures from production
    (question 7) as cases both runs pass.
    """
    import numpy as np
    import pandas as pd

    rows, cand, base = [], [], []
    taken: set[str] = set()
    labels = spec.get("labels", {})
    for category, (cases, c_rate, b_rate) in spec["categories"].items():
        fixed = spec.get("category_label", {}).get(category)
        shares = spec.get("category_labels", {}).get(category, labels)
        expected = np.full(cases, fixed, dtype=object) if fixed else _exact(rng, shares, cases)
        c_fail, b_fail = round(cases * (1 - c_rate)), round(cases * (1 - b_rate))
        both = round(min(c_fail, b_fail) * spec.get("overlap", 2 / 3))
        order = rng.permutation(cases)
        c_pass, b_pass = np.ones(cases, bool), np.ones(cases, bool)
        c_pass[order[:c_fail]] = False
        b_pass[order[:both]] = False
        b_pass[order[c_fail:c_fail + b_fail - both]] = False
        drawn: dict[str, list[tuple[str, dict[str, str]]]] = {}  # expected value → the inputs drawn for it
        cap = spec.get("distinct", {}).get(category)
        for i in range(cases):
            repeat = rng.random() < spec.get("duplicates", 0)  # drawn for every row, so the rows do not shift
            same = drawn.get(expected[i], [])
            if cap is not None:  # the first `cap` rows draw the inputs, the rest repeat one of them
                repeat = sum(map(len, drawn.values())) >= cap
            if repeat and same:  # the same case again, as a careless eval set has
                text, attrs = same[int(rng.integers(len(same)))]
            else:
                text, attrs = compose(rng, _texts_for(spec["texts"][category], expected[i]), spec.get("fill", {}),
                                      taken)
                drawn.setdefault(expected[i], []).append((text, attrs))
            row = {"category": category, "expected": expected[i], "input": text}
            row.update(spec.get("label_slices", {}).get(expected[i], {}))
            row.update(attrs)
            rows.append(row)
        cand += list(c_pass)
        base += list(b_pass)
    frame = pd.DataFrame(rows)
    for column, shares in spec.get("slices", {}).items():
        if not shares:  # every template sets this column itself
            continue
        drawn = _choice(rng, shares, len(frame))
        frame[column] = frame[column].fillna(pd.Series(drawn)) if column in frame else drawn
    cand, base = np.array(cand), np.array(base)
    if spec.get("regression"):
        r = spec["regression"]
        hit = (frame[r["column"]] == r["value"]).to_numpy() & cand & base & (rng.random(len(frame)) < r["share"])
        if "categories" in r:
            hit &= frame["category"].isin(r["categories"]).to_numpy()
        cand &= ~hit
    wrong = _wrong(rng, frame["expected"].to_numpy(dtype=object), spec)
    if "forbidden_output" in frame:
        frame["forbidden_output"] = frame["forbidden_output"].fillna("")
        obeys = (frame["forbidden_output"] != "").to_numpy() & (rng.random(len(frame)) < 0.5)
        wrong = np.where(obeys, frame["forbidden_output"], wrong)
    order = rng.permutation(len(frame))  # categories interleaved, as an eval run lists them
    frame, cand, base, wrong = frame.iloc[order].reset_index(drop=True), cand[order], base[order], wrong[order]
    frame.insert(0, "id", [f"{spec['id_prefix']}{i:05d}" for i in range(1, len(frame) + 1)])
    draws = {name: rng.random(len(frame)) for name in spec.get("outputs", {})}

    def run(passed: "np.ndarray") -> "pd.DataFrame":
        out = frame[["id", "category", *spec.get("slices", {}), "input", "expected"]].copy()
        out["output"] = np.where(passed, out["expected"], wrong)
        out["passed"] = passed
        for column in spec.get("label_columns", ()):
            out[column] = passed
        for column, o in spec.get("outputs", {}).items():
            truth = frame[o["expected"]].fillna(o["default"]).to_numpy(dtype=object)
            accuracy = o["accuracy"] if isinstance(o["accuracy"], Mapping) else {"*": o["accuracy"]}
            right = draws[column] < np.array([accuracy.get(t, accuracy["*"]) for t in truth])
            out[column] = np.where(right, truth, [o["wrong"][t] for t in truth])
            out[o["expected"]] = truth
        if "forbidden_output" in frame:
            out["forbidden_output"] = frame["forbidden_output"]
        return out

    candidate, baseline = run(cand), run(base)
    if promoted is not None and len(promoted):
        extra = promoted.reindex(columns=candidate.columns)
        extra["output"], extra["passed"] = extra["expected"], True
        for column in spec.get("label_columns", ()):
            extra[column] = True
        candidate = pd.concat([candidate, extra], ignore_index=True)
        baseline = pd.concat([baseline, extra], ignore_index=True)
    return candidate, baseline


def _wrong(rng: "np.random.Generator", expected: "np.ndarray", spec: Mapping[str, Any]) -> "np.ndarray":
    """The output a failure gives: the label people confuse it with, else another label at random."""
    import numpy as np

    confused = spec.get("confused", {})
    others = list(spec.get("labels", {})) or sorted(set(expected))
    out = []
    for value in expected:
        if value in confused:
            out.append(confused[value])
        else:
            choices = [o for o in others if o != value] or [value]
            out.append(choices[int(rng.integers(len(choices)))])
    return np.array(out, dtype=object)


# ---- question 7: weeks of production traffic, and what reviewers found in it --------------------------------

def traffic(rng: "np.random.Generator", spec: Mapping[str, Any]) -> "pd.DataFrame":
    """A production log plus what a log cannot show (``expected``, ``wrong``, ``failure_mode``).

    ``spec``: ``start`` (a Monday), ``weeks``, ``per_week`` (Poisson mean), ``segments`` (value → share at
    launch), ``wrong_rate`` (segment → share of wrong outputs), optional ``mix_shift`` ({from_week, over_weeks,
    to}: the mix moves linearly to ``to``), ``episodes`` (a list of {weeks, wrong_rate (segment → rate),
    volume (factor), mix}), ``labels``/``confused`` for outputs (``segment_labels``: segment →
    label → share), ``texts`` (segment → templates, or segment →
    label → templates) with ``fill``, ``confidence`` ({right: (a, b), wrong: (a, b)} beta parameters, and
    optionally a per-segment ``factor``), ``feedback`` ({negative, positive, if_wrong, if_right, blank}),
    ``failure_modes`` (segment or "*" → mode → share), ``id_prefix``/``id_start``, ``hours`` (24 weights) and
    ``days`` (7 weights).
    """
    import numpy as np
    import pandas as pd

    weeks = spec["weeks"]
    episodes = {w: e for e in spec.get("episodes", ()) for w in e["weeks"]}
    volume = np.array([spec["per_week"] * episodes.get(w, {}).get("volume", 1.0) for w in range(weeks)])
    per_week = rng.poisson(volume)
    n = int(per_week.sum())
    week = np.repeat(np.arange(weeks), per_week)
    days = np.array(spec.get("days", [0.2, 0.2, 0.19, 0.18, 0.17, 0.03, 0.03]), float)
    hours = np.array(spec.get("hours", [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 8, 10, 11, 10, 9, 7, 5, 3, 2, 2,
                                        1, 1]), float)
    day = rng.choice(7, n, p=days / days.sum())
    hour = rng.choice(24, n, p=hours / hours.sum())
    seconds = np.sort((week * 7 + day) * 86400 + hour * 3600 + rng.integers(0, 3600, n))
    week = seconds // (7 * 86400)
    stamp = np.datetime64(spec["start"], "s") + seconds.astype("timedelta64[s]")

    names = list(spec["segments"])
    launch = np.array(list(spec["segments"].values()), float)
    mix = np.tile(launch / launch.sum(), (weeks, 1))
    if spec.get("mix_shift"):
        s = spec["mix_shift"]
        to = np.array([s["to"][k] for k in names], float)
        step = np.clip((np.arange(weeks) - s["from_week"] + 1) / s.get("over_weeks", 1), 0, 1)[:, None]
        mix = mix * (1 - step) + to / to.sum() * step
    for w, e in episodes.items():
        if "mix" in e:
            mix[w] = np.array([e["mix"][k] for k in names], float) / sum(e["mix"].values())
    segment = (rng.random(n)[:, None] > np.cumsum(mix[week], axis=1)).sum(axis=1).clip(0, len(names) - 1)
    segment = np.array(names, dtype=object)[segment]

    p_wrong = np.array([spec["wrong_rate"][s] for s in segment])
    for w, e in episodes.items():
        for s, rate in e.get("wrong_rate", {}).items():
            p_wrong = np.where((week == w) & (segment == s), rate, p_wrong)
    wrong = rng.random(n) < p_wrong

    conf = spec["confidence"]
    confidence = np.where(wrong, rng.beta(*conf["wrong"], n), rng.beta(*conf["right"], n))
    factor = np.array([conf.get("factor", {}).get(s, 1.0) for s in segment])
    confidence = np.clip(confidence * factor, 0.05, 0.999).round(3)

    fb = spec["feedback"]
    v = rng.random(n)
    feedback = np.where(v < np.where(wrong, fb["if_wrong"], fb["if_right"]), fb["negative"], fb["positive"])
    feedback = np.where(rng.random(n) < fb.get("blank", 0.0), "", feedback).astype(object)

    modes = spec["failure_modes"]
    failure_mode = np.array([""] * n, dtype=object)
    for i in np.flatnonzero(wrong):
        shares = modes.get(segment[i], modes.get("*"))
        failure_mode[i] = list(shares)[int(rng.choice(len(shares), p=_normal(shares.values())))]

    expected = _choice(rng, spec["labels"], n)
    for name, shares in spec.get("segment_labels", {}).items():  # what is asked depends on the segment
        mask = segment == name
        expected[mask] = _choice(rng, shares, int(mask.sum()))
    output = np.where(wrong, _wrong(rng, expected, spec), expected)
    text = [compose(rng, _texts_for(spec["texts"][s], e), spec.get("fill", {}))[0]
            for s, e in zip(segment, expected)]
    start = spec.get("id_start", 1)
    return pd.DataFrame({
        "timestamp": np.datetime_as_string(stamp, unit="s"),
        "id": [f"{spec['id_prefix']}{i:06d}" for i in range(start, start + n)],
        "segment": segment, "input": text, "output": output, "confidence": confidence, "feedback": feedback,
        "expected": expected, "wrong": wrong, "failure_mode": failure_mode,
    })


LOG_COLUMNS = ("timestamp", "id", "segment", "input", "output", "confidence", "feedback")


def _normal(values: Any) -> "np.ndarray":
    import numpy as np

    p = np.array(list(values), float)
    return p / p.sum()


def reviewed_failures(truth: "pd.DataFrame", spec: Mapping[str, Any]) -> "pd.DataFrame":
    """What reviewers found in the weekly review samples of a log made by :func:`traffic`.

    Each week in ``spec["weeks"]`` (indices, negative from the end) is sampled the way question 7 samples it,
    with the case's own settings (``negative_feedback``, ``review_budget``, ``low_confidence``, ``oversample``,
    ``seed``), and every sampled output that was wrong is a row: ``id``, ``failure_mode``, ``category`` (the
    eval category it joins: ``category`` maps a mode, default ``edge``), ``expected``, ``reviewed`` (the Tuesday
    after the week) and ``weight`` (the outputs of the week it stands for).
    """
    import datetime as dt

    import pandas as pd

    from ..questions.monitoring import Answers, prepare_log, review_sample

    log = prepare_log(truth[list(LOG_COLUMNS)], "production_log.csv")
    answers = Answers(negative_feedback=spec["negative_feedback"], review_budget=spec["review_budget"],
                      sampling="oversample risky", low_confidence=spec["low_confidence"],
                      oversample=spec.get("oversample", 3), seed=spec["seed"])
    mondays = sorted(pd.DatetimeIndex(log["week"].unique()).date)
    found = []
    for index in spec["weeks"]:
        monday = mondays[index]
        sample = review_sample(answers, monday, log=log).merge(
            truth[["id", "wrong", "failure_mode", "expected"]], on="id", suffixes=("_blank", ""))
        sample = sample[sample["wrong"]]
        found.append(pd.DataFrame({
            "id": sample["id"], "failure_mode": sample["failure_mode"],
            "category": sample["failure_mode"].map(lambda m: spec.get("category", {}).get(m, "edge")),
            "expected": sample["expected"], "reviewed": (monday + dt.timedelta(days=8)).isoformat(),
            "weight": sample["weight"]}))
    return pd.concat(found, ignore_index=True)


# ---- question 5: outputs with their confidence and whether they were right ---------------------------------

def confidence_scores(rng: "np.random.Generator", spec: Mapping[str, Any]) -> "pd.DataFrame":
    """``id_column``, ``confidence`` (three decimals) and ``correct``.

    ``spec``: ``n``, ``id_column``, ``id_prefix``, and either ``values`` (confidence → share: a rule's few
    levels) or a mix of two beta distributions (``routine_share``, ``routine`` and ``hard`` parameters). An
    output is right with probability confidence + ``bias`` (0: calibrated; below 0: over-confident).
    """
    import numpy as np
    import pandas as pd

    n = spec["n"]
    if "values" in spec:
        confidence = np.array(list(spec["values"]), float)[rng.choice(len(spec["values"]), n,
                                                                       p=_normal(spec["values"].values()))]
    else:
        routine = rng.random(n) < spec["routine_share"]
        confidence = np.where(routine, rng.beta(*spec["routine"], n), rng.beta(*spec["hard"], n))
    confidence = np.clip(confidence, 0.05, 0.999).round(3)
    correct = rng.random(n) < np.clip(confidence + spec.get("bias", 0.0), 0, 1)
    return pd.DataFrame({spec["id_column"]: [f"{spec['id_prefix']}{i:05d}" for i in range(1, n + 1)],
                         "confidence": confidence, "correct": correct})


# ---- question 3: a labelled sample with a second rater ------------------------------------------------------

def labelled_sample(rng: "np.random.Generator", spec: Mapping[str, Any]) -> "pd.DataFrame":
    """A labelled sample as a team exports it to plan its data: id, date, the slice columns, the label and a
    second rater's label on part of it.

    ``spec``: ``n``, ``id_column``/``id_prefix``, ``date_column``, ``start`` and ``days`` (the dates' range),
    ``columns`` (column → value → share), ``label_column``, ``labels`` (value → share),
    ``second_rater_column``, ``second_share`` (the first share of rows labelled twice), ``agreement``,
    ``confused`` (label → the label a disagreeing rater picks), ``blank`` (column → rows left empty) and
    ``duplicates`` (rows that repeat an earlier row: a double export).
    """
    import numpy as np
    import pandas as pd

    n = spec["n"]
    label = _choice(rng, spec["labels"], n)
    agrees = rng.random(n) < spec["agreement"]
    second = np.where(agrees, label, _wrong(rng, label, spec)).astype(object)
    second[int(n * spec["second_share"]):] = None
    start = pd.Timestamp(spec["start"])
    frame = pd.DataFrame({
        spec["id_column"]: [f"{spec['id_prefix']}{i}" for i in range(spec.get("id_start", 1), spec.get("id_start", 1) + n)],
        spec["date_column"]: (start + pd.to_timedelta(rng.integers(0, spec["days"], n), unit="D")).strftime(
            "%Y-%m-%d"),
        **{column: _choice(rng, shares, n).astype(object) for column, shares in spec["columns"].items()},
        spec["label_column"]: label,
        spec["second_rater_column"]: second,
    })
    copies = spec.get("duplicates", 0)
    for column, count in spec.get("blank", {}).items():
        frame.loc[rng.choice(n - copies, count, replace=False), column] = None
    if copies:
        frame.iloc[n - copies:] = frame.iloc[rng.choice(n - copies, copies, replace=False)].to_numpy()
    return frame.sort_values([spec["date_column"], spec["id_column"]], kind="stable").reset_index(drop=True)


# ---- question 2: past decisions with what a simple rule would have said ------------------------------------

def need_ai_sample(rng: "np.random.Generator", spec: Mapping[str, Any]) -> "pd.DataFrame":
    """Past decisions labelled with what was finally decided, beside what the simple alternative says.

    ``spec``: ``n``, ``id_column``/``id_prefix``/``id_start``, ``text_column``, ``texts`` (label → templates)
    with ``fill``, optional ``columns`` (column → value → share), ``labels`` (value → share), ``rule_accuracy``
    (how often ``rule`` equals ``label``) and ``confused`` (where the rule goes wrong).
    """
    import numpy as np
    import pandas as pd

    n = spec["n"]
    label = _choice(rng, spec["labels"], n)
    taken: set[str] = set()
    text = [compose(rng, spec["texts"][lab], spec.get("fill", {}), taken)[0] for lab in label]
    right = np.zeros(n, bool)
    right[rng.permutation(n)[: round(n * spec["rule_accuracy"])]] = True
    rule = np.where(right, label, _wrong(rng, label, spec))
    start = spec.get("id_start", 1)
    return pd.DataFrame({
        spec["id_column"]: [f"{spec['id_prefix']}{i}" for i in range(start, start + n)],
        spec["text_column"]: text,
        **{column: _choice(rng, shares, n) for column, shares in spec.get("columns", {}).items()},
        "label": label, "rule": rule,
    })

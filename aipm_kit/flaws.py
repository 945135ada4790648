"""The catalogue of mistakes a find-the-flaw exercise plants, one student at a time.

``aipm-kit class variants flaw-hunt --flaws 4`` gives each student their own set: drawn from ``CATALOGUE`` with
the student's seed, each planted with its own numbers. A flaw is one of two kinds:

- **a number that contradicts another answer**, from the ledger's relations (``aipm_kit.ledger.RELATIONS``):
  question 2's monthly volume, question 4's requests or question 1's users moved away from the others, or
  question 4's accuracy bar put under question 6's gate. ``aipm-kit check`` names both places.
- **a judgment trap in the data**, written by the case's synthetic-data spec (``aipm_kit.synth``): a blocking gate
  resting on a few inputs pasted again and again, a slice failing inside a passing average, a threshold with too
  few scores to prove it on rows held out from the choice. Questions 5 and 6 take them apart.

Every flaw says how the kit shows it (``shows``), and a variant is kept only when the flaws the kit shows are
exactly the ones planted: each planted flaw shows, and no other does (the template's own flaws are repaired
first, ``repair``). A student names a flaw by one of its ``fields`` (``section.field``, as ``aipm-kit check``
prints them); the key records each flaw with its title, its fields, what was planted and the evidence.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .case import Case
    from .ledger import Finding
    from .result import Result

Values = dict[str, dict[str, Any]]  # section → field → plain value, as a variant is built
Shown = Callable[["Case", Mapping[str, "Result"], list["Finding"]], "str | None"]

DEFAULT_FLAWS = 4  # flaws per student when the teacher does not say
VOLUME_FACTORS = (3, 4, 5)  # a wrong volume is a different quantity (orders for requests), not a rounding
BAR_GAPS = (0.05, 0.08, 0.1)  # points a convenient bar sits under the gate
REPEATED_INPUTS = (6, 8, 10, 12)  # distinct messages a repeated gate rests on
SLICE_FAILS = (0.2, 0.24, 0.28)  # share of a slice's everyday cases a planted regression fails
FEW_SCORES = (240, 280, 320)  # scored outputs: too few to prove a 5% limit on the half held out


@dataclass
class Planting:
    """One student's draw: the flaws chosen, the edits to the answers, and the data spec they change."""

    template: Case
    rng: Any
    spec: dict[str, Any] | None  # the case's synthetic-data spec, repaired, or None: no data flaws
    planted: list[dict[str, Any]] = field(default_factory=list)  # the key's record of each flaw
    edits: list[Callable[[Values], None]] = field(default_factory=list)

    def choice(self, options: tuple | list) -> Any:
        return options[int(self.rng.integers(len(options)))]


@dataclass(frozen=True)
class Flaw:
    id: str
    group: str  # flaws of one group break the same relation: a student gets one of them at most
    quantity: str | None  # the ledger's quantity it contradicts (None: a trap in the data)
    title: str
    fields: tuple[str, ...]  # what a student names to find it
    where: str  # where the kit shows it
    plant: Callable[[Planting], str | None]  # plans the flaw; what was planted, or None if this case cannot hold it
    shows: Shown  # the evidence, when the kit shows this flaw in a case


# ---- numbers that contradict (the ledger) -----------------------------------------------------------------

def _answer(case: Case, section: str, name: str) -> Any:
    return getattr(case.answers(section), name, None) if case.is_answered(section) else None


def _contradictions(findings: list[Finding], quantity: str) -> list[Finding]:
    return [f for f in findings if f.contradiction and f.quantity == quantity]


def _volume_breaks(others: tuple[str, ...]) -> Shown:
    """Shows when the monthly-volume contradictions are exactly those against ``others`` (approach, problem)."""
    def shows(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str | None:
        found = _contradictions(findings, "Monthly volume")
        against = sorted(f.other.split(".")[0] for f in found)
        if found and against == sorted(others):
            return "; ".join(f"{f.home} = {f.home_value}, but {f.other} = {f.other_value}" for f in found)
        return None
    return shows


def _scaled(value: int | float, factor: float) -> int:
    from .classroom import _significant

    return max(1, int(_significant(round(value * factor), 3)))


def _plant_volume(planting: Planting) -> str | None:
    case = planting.template
    volume = _answer(case, "need_ai", "monthly_volume")
    if not volume or not _answer(case, "approach", "requests_per_month") or not _problem_volume(case):
        return None
    factor = planting.choice(VOLUME_FACTORS)
    new = _scaled(_repaired_volume(case), factor)
    planting.edits.append(lambda values: values["need_ai"].__setitem__("monthly_volume", new))
    return f"need_ai.monthly_volume set to {new:,}, {factor} times the volume questions 1 and 4 count"


def _plant_requests(planting: Planting) -> str | None:
    case = planting.template
    if not _answer(case, "approach", "requests_per_month") or not _answer(case, "need_ai", "monthly_volume") \
            or not _problem_volume(case):
        return None
    factor = planting.choice(VOLUME_FACTORS)
    factor = factor if planting.rng.random() < 0.5 else 1 / factor
    new = _scaled(_repaired_volume(case), factor)
    planting.edits.append(lambda values: values["approach"].__setitem__("requests_per_month", new))
    return f"approach.requests_per_month set to {new:,}, where questions 1 and 2 count {_repaired_volume(case):,}"


def _plant_users(planting: Planting) -> str | None:
    case = planting.template
    users = _answer(case, "problem", "users_affected")
    if not users or not _answer(case, "approach", "requests_per_month") or not _answer(case, "need_ai",
                                                                                       "monthly_volume"):
        return None
    factor = planting.choice(VOLUME_FACTORS)
    new = int(users * factor)
    planting.edits.append(lambda values: values["problem"].__setitem__("users_affected", new))
    return f"problem.users_affected set to {new:,}, {factor} times the people the volume of questions 2 and 4 needs"


def _problem_volume(case: Case) -> int | None:
    """Question 1's users × occurrences, as the ledger reads it."""
    from .ledger import _problem_volume as counted

    volume = counted(case)
    return round(volume) if volume else None


def _repaired_volume(case: Case) -> int:
    """The volume the case's answers agree on once repaired: question 4's, else question 1's count."""
    return int(_answer(case, "approach", "requests_per_month") or _problem_volume(case)
               or _answer(case, "need_ai", "monthly_volume"))


def _overall_target(case: Case) -> float | None:
    from .ledger import _overall_target as target

    value = target(case) if case.is_answered("evaluation") else None
    return float(value) if value is not None else None


def _plant_bar(planting: Planting) -> str | None:
    target = _overall_target(planting.template)
    if target is None or _answer(planting.template, "approach", "accuracy_needed") is None:
        return None
    gap = planting.choice(BAR_GAPS)
    new = round(target - gap, 2)
    planting.edits.append(lambda values: values["approach"].__setitem__("accuracy_needed", new))
    return f"approach.accuracy_needed set to {new:.0%}, under the {target:.0%} of question 6's blocking gate"


def _shows_bar(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str | None:
    found = _contradictions(findings, "Accuracy the product needs")
    return f"{found[0].home} = {found[0].home_value}, but {found[0].other} = {found[0].other_value}" if found else None


# ---- judgment traps in the data (the synthetic-data spec) -------------------------------------------------

def _blocking_categories(case: Case, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(gate name, category) of each blocking gate over one category the spec writes."""
    if not case.is_answered("evaluation"):
        return []
    categories = spec.get("eval", {}).get("categories", {})
    return [(g.name, g.category) for g in case.answers("evaluation").gates
            if g.kind == "blocking" and g.category in categories and not getattr(g, "slice", "")]


def _plant_repeated(planting: Planting) -> str | None:
    if planting.spec is None or "eval" not in planting.spec:
        return None
    gates = _blocking_categories(planting.template, planting.spec)
    if not gates:
        return None
    name, category = planting.choice(gates)
    distinct = planting.choice(REPEATED_INPUTS)
    cases = planting.spec["eval"]["categories"][category][0]
    planting.spec["eval"]["distinct"] = {category: distinct}
    return f"the {cases} '{category}' eval rows of the gate \"{name}\" written as {distinct} distinct messages repeated"


def _shows_repeated(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str | None:
    result = results.get("evaluation")
    if result is None or not result.answered:
        return None
    least = case.answers("evaluation").min_distinct_inputs
    thin = [g for g in result.data.get("gates", []) if g["kind"] == "blocking" and g["distinct"] < least]
    return "; ".join(f"gate \"{g['name']}\": {g['cases']} cases, {g['distinct']} distinct inputs (under {least})"
                     for g in thin) or None


def _slice_values(case: Case, column: str) -> list[str]:
    import csv

    path = case.answers("evaluation").results_file
    with open(path, newline="", encoding="utf-8") as handle:
        return sorted({row.get(column, "") for row in csv.DictReader(handle)} - {""})


def _plant_slice(planting: Planting) -> str | None:
    spec = planting.spec
    case = planting.template
    if spec is None or "eval" not in spec or not case.is_answered("evaluation"):
        return None
    columns = [c for c in case.answers("evaluation").slice_columns if c in spec["eval"].get("slices", {})]
    if not columns:
        return None
    column = planting.choice(columns)
    values = _slice_values(case, column)
    if len(values) < 2:
        return None
    value = planting.choice(values)
    share = planting.choice(SLICE_FAILS)
    everyday = max(spec["eval"]["categories"], key=lambda c: spec["eval"]["categories"][c][0])
    spec["eval"]["regression"] = {"column": column, "value": value, "share": share, "categories": [everyday]}
    return f"{share:.0%} of the '{everyday}' eval cases with {column} = {value} made to fail"


def _shows_slice(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str | None:
    result = results.get("evaluation")
    if result is None or not result.answered:
        return None
    under = [s for s in result.data.get("slices", []) if s["status"] == "below target"]
    return "; ".join(f"{s['column']} = {s['slice']}: {s['passed']} of {s['cases']} pass ({s['rate']:.1%}, up to "
                     f"{s['high']:.1%}), under the {s['target']:.0%} target of \"{s['gate']}\"" for s in under) or None


def _plant_threshold(planting: Planting) -> str | None:
    spec = planting.spec
    if spec is None or "scores" not in spec or _answer(planting.template, "experience", "threshold") is None:
        return None
    n = planting.choice(FEW_SCORES)
    spec["scores"]["n"] = n
    return f"{n} scored outputs in experience.scores: too few to prove the threshold on the half held out"


def _shows_threshold(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str | None:
    result = results.get("experience")
    if result is None or result.verdict != "Not proven":
        return None
    return result.headline


CATALOGUE: tuple[Flaw, ...] = (
    Flaw("volume", "volume", "Monthly volume", "Question 2 values a monthly volume that questions 1 and 4 do not count",
         ("need_ai.monthly_volume",), "aipm-kit check: Monthly volume, twice", _plant_volume,
         _volume_breaks(("approach", "problem"))),
    Flaw("requests", "volume", "Monthly volume", "Question 4 prices a volume that questions 1 and 2 do not count",
         ("approach.requests_per_month",), "aipm-kit check: Monthly volume", _plant_requests,
         _volume_breaks(("approach",))),
    Flaw("users", "volume", "Monthly volume", "Question 1 sizes the problem on more people than the volume needs",
         ("problem.users_affected",), "aipm-kit check: Monthly volume", _plant_users, _volume_breaks(("problem",))),
    Flaw("bar", "bar", "Accuracy the product needs",
         "Question 4 chose for a lower accuracy bar than question 6 ships against",
         ("approach.accuracy_needed",), "aipm-kit check: Accuracy the product needs", _plant_bar, _shows_bar),
    Flaw("repeated", "repeated", None, "A blocking gate rests on a few distinct inputs pasted again and again",
         ("evaluation.gates",), "question 6: a gate not proven on its distinct inputs", _plant_repeated,
         _shows_repeated),
    Flaw("slice", "slice", None, "A slice fails the target, whatever the average says",
         ("evaluation.slice_columns",), "question 6: a slice below target (Hold)", _plant_slice, _shows_slice),
    Flaw("threshold", "threshold", None, "The threshold is not proven on scores held out from its choice",
         ("experience.threshold",), "question 5: Not proven", _plant_threshold, _shows_threshold),
)
BY_ID = {flaw.id: flaw for flaw in CATALOGUE}


# ---- a student's draw -------------------------------------------------------------------------------------

def spec_for(case: Case) -> dict[str, Any] | None:
    """The synthetic-data spec that wrote a bundled case's data, with its data flaws fixed; None for a case
    the kit did not write (its data stays the template's, and only the ledger's flaws can be planted)."""
    from .bundled import bundled_cases
    from .synth import SPECS

    name = case.path.stem if case.path is not None else ""
    bundled = bundled_cases().get(name)
    if name not in SPECS or bundled is None or bundled.resolve() != case.path.resolve():
        return None
    import importlib

    module = importlib.import_module(f".synth.specs.{name.replace('-', '_')}", __package__)
    spec = copy.deepcopy(module.SPEC)
    for part, changes in getattr(module, "FIXED", {}).values():
        spec[part] = {**spec[part], **copy.deepcopy(changes)}
    for part in spec.values():
        if isinstance(part, dict):
            part.pop("seed", None)  # a variant draws every part with its own seed
    return spec


def repair(values: Values, case: Case) -> None:
    """Make the template's shared numbers agree before planting: one monthly volume, one accuracy bar."""
    volume = _repaired_volume(case) if _answer(case, "need_ai", "monthly_volume") else None
    if volume and "need_ai" in values:
        values["need_ai"]["monthly_volume"] = volume
    target = _overall_target(case)
    if target is not None and "approach" in values and values["approach"].get("accuracy_needed") is not None:
        values["approach"]["accuracy_needed"] = target


_GIVEN: dict[tuple[str, float], dict[str, str]] = {}


def given(template: Case) -> dict[str, str]:
    """The traps in a template's data that a variant cannot repair (flaw id → the evidence in the template):
    those of a case whose data the kit did not write, or whose spec does not say how to fix them (``FIXED``).
    Every student's copy has them, so they are in every key, and no student gets a second one of their kind."""
    import importlib

    from .ledger import check

    stamp = (str(template.path), template.path.stat().st_mtime)
    if stamp not in _GIVEN:
        spec = spec_for(template)
        module = importlib.import_module(f".synth.specs.{template.path.stem.replace('-', '_')}", __package__) \
            if spec is not None else None
        if module is not None and getattr(module, "FIXED", None):
            _GIVEN[stamp] = {}
        else:
            results = template.results()
            _GIVEN[stamp] = {flaw.id: evidence for flaw in CATALOGUE if flaw.quantity is None
                             and (evidence := flaw.shows(template, results, check(template, results)))}
    return _GIVEN[stamp]


def draw(template: Case, rng: Any, count: int) -> Planting:
    """``count`` flaws of different groups, in a random order, each planned with its own numbers; none of a
    group the template's data already holds (``given``)."""
    planting = Planting(template, rng, spec_for(template))
    present = {BY_ID[i].group for i in given(template)}
    groups: dict[str, list[Flaw]] = {}
    for flaw in CATALOGUE:
        if flaw.group not in present:
            groups.setdefault(flaw.group, []).append(flaw)
    order = list(groups)
    rng.shuffle(order)
    for group in order:
        if len(planting.planted) == count:
            break
        options = list(groups[group])
        rng.shuffle(options)
        for flaw in options:
            planted = flaw.plant(planting)
            if planted is not None:
                planting.planted.append({"id": flaw.id, "title": flaw.title, "fields": list(flaw.fields),
                                         "where": flaw.where, "planted": planted})
                break
    return planting


def possible(template: Case) -> int:
    """How many flaws of different groups this case can hold."""
    import numpy as np

    return len(draw(template, np.random.default_rng(0), len(CATALOGUE)).planted)


def unplanned(findings: list[Finding], planting: Planting) -> list[Finding]:
    """The contradictions of a variant that no planted flaw explains (a variant keeps none)."""
    quantities = {BY_ID[p["id"]].quantity for p in planting.planted}
    return [f for f in findings if f.contradiction and f.quantity not in quantities]


def shown(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> dict[str, str]:
    """Flaw id → the evidence, for every flaw of the catalogue the kit shows in ``case``."""
    return {flaw.id: evidence for flaw in CATALOGUE if (evidence := flaw.shows(case, results, findings))}


def write_data(planting: Planting, targets: Mapping[Path, Path], rng: Any) -> set[Path]:
    """Write the variant's data files from the planting's spec (a new seed); the template files it wrote."""
    from .case import write_atomic
    from .synth import case_frames

    if planting.spec is None:
        return set()
    frames = case_frames(planting.spec, seed=int(rng.integers(2**31)))
    written: set[Path] = set()
    for source, target in targets.items():
        frame = frames.get(source.name)
        if frame is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.add(source)
    return written

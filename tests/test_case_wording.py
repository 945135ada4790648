"""Every bundled case's results speak of its own product, in its own words.

A result, table, chart or brief describes one product, so a word that only another case's files use (its
unit of work, its labels, its failure modes) has no business in it: it is a sentence written for that other
case. And when question 2's answer is no AI, nothing after it calls the product an AI.

The cases are built here the way the brief builds them (``case_results`` + ``brief_markdown``), not through
the notebooks, so the test stays fast; every ``cases/*.yaml`` is covered, including cases added later.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import aipm_kit
from aipm_kit.brief import brief_markdown, case_results
from aipm_kit.bundled import bundled_cases

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")

# Words of the kit's own generic text (its findings, tables and charts, the same for every case) that happen to
# turn up in the files of only one bundled case. They are common English or the kit's vocabulary, not any
# product's: adding a word here says "this is how the kit talks about every product". Never add a product's
# word (its unit of work, a label, a channel, a failure mode): change the sentence that prints it instead.
COMMON = frozenset("""
    accept added agree aipm-kit also annual answered answering anyone appear apply available average avoided
    balance beat below best better between cache cached carry cause centre checked checking close condition
    confident constraint could covered declared default difference different distinct doing draft drift
    effective either else format graded grow growing guess held-out here hidden high holding hosting index
    inside item just know language largest length less level limit line listed lower made make matching matter
    measure measured meet mistake moment money much number part passage pay people place profile put random
    rather re-read re-run real reason recall repeated replaced replacement require retrieval retrieve returned
    route running scored sending ship size something spread stage structured such suggestion table tell then
    those
    total typed usually vendor very watch went wrote
    autonomously bar broken document follow free full interviewee into large least lose reviewing showing suggest sure
    chart expect there
""".split())


def stem(word: str) -> str:
    """A word's plain form, enough to match 'tickets' with 'ticket' and 'queries' with 'query'."""
    w = word.lower().removesuffix("'s")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def words(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if len(w) >= 4}


def case_vocabulary(path: Path) -> set[str]:
    """The words of a case's YAML and of every file in its data folder."""
    files = [path, *sorted(p for p in (path.parent / path.stem).rglob("*") if p.is_file())]
    return set().union(*(words(p.read_text(encoding="utf-8", errors="ignore")) for p in files))


def figure_text(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
                     if isinstance(t.get_text(), str))


def outputs(case) -> dict[str, str]:
    """What a reader of this case sees: the brief and every question's result with its tables and charts."""
    results = case_results(case)
    shown = {"brief": brief_markdown(case, results)}
    for key, result in results.items():
        shown[key] = "\n".join([result.to_text(), *result.figures,
                                *(figure_text(f) for f in result.figures.values())])
    return shown


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[set[str], dict[str, str], object]]:
    """Per bundled case: its vocabulary, what its results and brief say, and the case."""
    return {name: (case_vocabulary(path), outputs(case := aipm_kit.load_case(path)), case)
            for name, path in bundled_cases().items()}


def test_the_vocabulary_reads_plain_words():
    # worked by hand: four-letter words and longer, plurals folded, a trailing 's dropped
    assert words("Two tickets' queues; the policy's queries, a bus, a class, its matches") == {
        "ticket", "queue", "policy", "query", "class", "match"}


def test_no_case_shows_words_only_another_case_uses(built):
    exclusive = {name: vocab - set().union(*(v for other, (v, _, _) in built.items() if other != name))
                 for name, (vocab, _, _) in built.items()}
    found = []
    for name, (_, shown, _) in built.items():
        for other, theirs in exclusive.items():
            if other == name:
                continue
            for where, text in shown.items():
                leaked = sorted((words(text) & theirs) - COMMON)
                if leaked:
                    found.append(f"{name} {where}: {', '.join(leaked)} (words of {other})")
    assert not found, "\n".join(found)


def test_no_case_speaks_of_another_case_s_unit_of_work(built):
    # The unit of work is each product's own word (ticket, invoice, question, trip): another case's unit may
    # appear only where the case's own files use that word too.
    units = {name: stem(getattr(case.answers("need_ai"), "decision_unit", "")) for name, (_, _, case) in built.items()
             if case.answers("need_ai") is not None}
    found = []
    for name, (vocab, shown, _) in built.items():
        for other, unit in units.items():
            if other == name or unit in vocab or not unit:
                continue
            found += [f"{name} {where}: '{unit}' (the unit of {other})" for where, text in shown.items()
                      if unit in words(text)]
    assert not found, "\n".join(found)


def test_invoice_reminders_never_mentions_tickets_or_queues(built):
    _, shown, _ = built["invoice-reminders"]
    for where, text in shown.items():
        assert not {"ticket", "queue"} & words(text), where


# "AI" is allowed only where it says the product is not one, or where it names question 2's own subject
_NOT_ABOUT_THE_PRODUCT = re.compile(
    r"\b(?:no|not|non-|need|needs|need for|build|without|revisit)\s*AI\b|Does this need AI\?|non-AI\b",
    re.IGNORECASE)


def test_a_no_ai_case_never_calls_its_product_an_ai_after_question_2(built):
    _, shown, case = built["invoice-reminders"]
    assert case.analyze("need_ai").data["outcome"] == "no_ai"
    said = []
    for where, text in shown.items():
        if where in ("problem", "need_ai"):
            continue  # question 2 is where AI is weighed; question 1 comes before the answer
        lines = text.splitlines()
        if where == "brief":  # the brief's row for question 2 quotes question 2's own findings
            lines = [line for line in lines if not line.startswith("| 2 |")]
        said += [f"{where}: {line.strip()[:160]}" for line in lines
                 if re.search(r"\bAI\b", _NOT_ABOUT_THE_PRODUCT.sub("", line))]
    assert not said, "\n".join(said)
    # and the later questions name the non-AI way instead: question 4 chose rules, so "the rule-based system"
    experience = case.analyze("experience")
    assert experience.metric_value("Share handled by the rule-based system") > 0
    assert "share handled by the rule-based system" in shown["brief"].lower()


def test_a_named_non_ai_way_is_what_the_later_questions_call_it():
    case = aipm_kit.load_case("invoice-reminders", overrides={"need_ai": {"non_ai_name": "the reminder schedule"}})
    result = case.analyze("experience")
    assert result.headline.startswith("Go: the reminder schedule acts and users can undo")
    assert "Share handled by the reminder schedule" in [m.name for m in result.metrics]


def test_an_ai_case_keeps_calling_its_product_the_ai():
    result = aipm_kit.load_case("travel-rebooking").analyze("experience")
    assert "Share handled by the AI" in [m.name for m in result.metrics]

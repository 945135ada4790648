"""The one-page brief of a case, and the index page over every case of a build.

The brief is made from the same ``Result`` objects the notebooks show, so the page and the notebooks cannot
disagree. At the top, a launch-readiness line that follows from the seven verdicts; then one row per question:
its verdict badge, headline, the two or three numbers that matter (``Result.key_metrics``) and a link to the
filled notebook. A question the case has not answered says "not answered": nothing is filled in for it.
Every piece of text that comes from a case file is escaped (HTML) or backslash-escaped (Markdown).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .case import Case, load_case, write_atomic
from .questions import QUESTIONS, Question
from .ledger import Finding, check
from .result import LEVELS, NO_MATHS, NOT_ANSWERED, Level, Result, badge, level_colour

# Question 2's outcomes that mean "do not build AI" (``result.data["outcome"]``, or the verdict's words), with
# what to do instead when the result does not say.
NO_AI_OUTCOMES = {"no_ai": "a rule, a form or UX change, or a process change",
                  "human": "keep people doing it, with better tools or a clearer policy"}
_NO_AI_VERDICTS = {"no ai": "no_ai", "keep it human": "human"}
ANALYSIS_FAILED = "Analysis failed"


# ---- what the brief says ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Readiness:
    """The launch-readiness line: a status in a few words, its level, and the sentence that explains it."""

    status: str  # "Ready to launch", "Ready with cautions", "Incomplete", "Not ready", "Don't build AI"
    level: Level | None  # None: incomplete, nothing decided yet
    message: str


def case_results(case: Case) -> dict[str, Result]:
    """All seven questions' results in order; a question the case (or this kit) cannot answer is "not answered".

    A question whose analysis raises is shown as "analysis failed" with the error, so one broken section
    never takes the whole brief down, and nothing is invented for it.
    """
    results = {}
    for q in QUESTIONS:
        if not q.available:
            results[q.key] = Result.not_answered(q.key, q.title)
            continue
        try:
            results[q.key] = case.analyze(q.key)
        except Exception as exc:  # noqa: BLE001 (shown in the brief, not raised)
            results[q.key] = Result(q.key, q.title, ANALYSIS_FAILED, None,
                                    f"The analysis could not run on this section: {type(exc).__name__}: {exc}")
    return results


def launch_readiness(results: Mapping[str, Result]) -> Readiness:
    """What the seven verdicts add up to. A stop anywhere means not ready; question 2's "no AI" says so plainly."""
    by_number = [(q, results.get(q.key) or Result.not_answered(q.key, q.title)) for q in QUESTIONS]
    # a stop, or a verdict that holds the launch by its own word (question 6's Hold), means not ready
    stops = [(q, r) for q, r in by_number if r.level == "stop" or r.data.get("blocks_launch")]
    stopped = {q.key for q, _ in stops}
    cautions = [(q, r) for q, r in by_number if r.level == "caution" and q.key not in stopped]
    broken = [q for q, r in by_number if r.verdict == ANALYSIS_FAILED]
    missing = [q for q, r in by_number if not r.answered and q not in broken]
    failed = f" The analysis failed at {_list_numbers(broken)}." if broken else ""

    need_ai = results.get("need_ai")
    outcome = _no_ai_outcome(need_ai)
    if need_ai is not None and outcome is not None:
        # "don't build AI" is a decision, not a failure: its colour follows the levels like any other line
        others = [(q, r) for q, r in stops if q.key != "need_ai"]
        message = f"Question 2 — {need_ai.headline.rstrip('.')}. Instead: {_instead(need_ai, outcome).rstrip('.')}."
        if others:
            message += f" Also stopped at {_list_questions(q for q, _ in others)}."
        elif cautions and not stops:
            message += f" Cautions at {_list_questions(q for q, _ in cautions)}."
        level = "stop" if stops else "caution" if cautions else "go"
        return Readiness("Don't build AI", level, message)
    if stops:
        message = f"Stopped at {_list_questions(q for q, _ in stops)}: fix that before anything else."
        if missing:
            message += f" Not answered yet: {_list_numbers(missing)}."
        return Readiness("Not ready", "stop", message + failed)
    if broken and not missing:
        return Readiness("Incomplete", None, f"No launch decision can follow until every question is analysed."
                                             f"{failed}")
    if missing:
        answered = len(by_number) - len(missing)
        verb = "is" if len(missing) == 1 else "are"
        message = (f"{len(missing)} of {len(by_number)} questions {verb} not answered yet "
                   f"({_list_numbers(missing)}), so no launch decision can follow.")
        if answered:
            message += " Nothing answered so far stops the launch"
            message += f"; cautions at {_list_questions(q for q, _ in cautions)}." if cautions else "."
        return Readiness("Incomplete", None, message + failed)
    if cautions:
        return Readiness("Ready with cautions", "caution",
                         f"No question stops the launch; resolve the cautions first at "
                         f"{_list_questions(q for q, _ in cautions)}.")
    return Readiness("Ready to launch", "go", "All seven questions are answered and none raises a caution.")


def _no_ai_outcome(result: Result | None) -> str | None:
    if result is None or not result.answered:
        return None
    outcome = result.data.get("outcome")
    if outcome in NO_AI_OUTCOMES:
        return outcome
    return _NO_AI_VERDICTS.get(result.verdict.strip().lower())


def _instead(need_ai: Result, outcome: str) -> str:
    """What question 2 says to do instead of AI (its ``data["instead"]``), or the usual alternative."""
    return " ".join(str(need_ai.data.get("instead") or NO_AI_OUTCOMES[outcome]).split())


def _list_questions(questions: Iterable[Question]) -> str:
    return _join([f"question {q.number} ({q.key.replace('_', ' ')})" for q in questions])


def _list_numbers(questions: Iterable[Question]) -> str:
    numbers = [str(q.number) for q in questions]
    return ("questions " if len(numbers) > 1 else "question ") + _join(numbers)


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def notebook_links(folder: Path, stems: Iterable[str] | None = None) -> dict[str, str]:
    """Question key → relative link for every question notebook exported as HTML in ``folder``."""
    links = {}
    for q in QUESTIONS:
        if (stems is None or q.notebook in stems) and (folder / f"{q.notebook}.html").is_file():
            links[q.key] = f"{q.notebook}.html"
    return links


def short_label(q: Question) -> str:
    """A column heading for the index: ``Problem``, ``Need AI?`` …"""
    return {"need_ai": "Need AI?"}.get(q.key, q.key.replace("_", " ").capitalize())


@dataclass
class Overview:
    """A case at a glance inside a notebook: the launch line, then each question's badge and headline.

    Styles are inline (no page CSS), so it renders the same in JupyterLab, nbconvert and GitHub.
    """

    case: Case
    results: Mapping[str, Result]

    def _repr_html_(self) -> str:
        e = html.escape
        readiness = launch_readiness(self.results)
        colour = level_colour(readiness.level)
        status, message = readiness.status, readiness.message
        if self.case is not None and self.case.student_mode:  # the launch line is a verdict too
            status, message = "Your call.", "This is a student's copy: decide each question from its evidence."
        rows = "".join(
            f"<tr><td style='text-align:left;vertical-align:top'>{q.number}</td>"
            f"<td style='text-align:left;vertical-align:top'><a href='{q.notebook}.ipynb'>{e(q.title)}</a></td>"
            f"<td style='text-align:left;vertical-align:top'>{badge(r.verdict, r.level)}</td>"
            f"<td style='text-align:left;vertical-align:top'>{e(r.headline)}</td></tr>"
            for q, r in ((q, self.results.get(q.key) or Result.not_answered(q.key, q.title)) for q in QUESTIONS)
        )
        return (f"<div class='aipm-overview {NO_MATHS}'><p style='border-left:5px solid {colour};padding:4px 10px'>"
                f"<strong style='color:{colour}'>{e(status)}</strong> {e(message)}</p>"
                f"<table><thead><tr><th>#</th><th style='text-align:left'>Question</th>"
                f"<th style='text-align:left'>Verdict</th><th style='text-align:left'>Headline</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")

    def __repr__(self) -> str:
        student = self.case is not None and self.case.student_mode
        status = "Your call." if student else launch_readiness(self.results).status
        lines = [f"{self.case.name} — {status}"]
        for q in QUESTIONS:
            r = self.results.get(q.key) or Result.not_answered(q.key, q.title)
            lines.append(f"{q.number}. [{r.verdict}] {r.headline}")
        return "\n".join(lines)


def overview(case: Case) -> Overview:
    """The case at a glance (the start page shows it): launch line, verdicts and headlines."""
    return Overview(case, {key: case.shown(result) for key, result in case_results(case).items()})


# ---- HTML ---------------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2328; --muted:#5b6470; --rule:#d8dde3; --paper:#fff; --tint:#f5f7f9; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f4; color:var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 900px; margin: 24px auto; background: var(--paper); padding: 28px 34px 22px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.kicker { margin:0; font-size:11px; letter-spacing:.08em; text-transform:uppercase; color:var(--muted); }
h1 { margin: 2px 0 6px; font-size: 24px; line-height: 1.2; }
.summary { margin: 0 0 14px; color: #333; font-size: 15px; }
.readiness { border-left: 6px solid; padding: 9px 14px; margin: 0 0 18px; background: var(--tint);
  border-radius: 0 6px 6px 0; }
.readiness strong { font-size: 16px; margin-right: 6px; }
READINESS_COLOURS
table { border-collapse: collapse; width: 100%; }
.questions th { text-align:left; font-size:11px; text-transform:uppercase; letter-spacing:.05em;
  color:var(--muted); border-bottom: 2px solid var(--rule); padding: 6px 8px; }
.questions td { border-bottom: 1px solid var(--rule); padding: 9px 8px; vertical-align: top; }
.questions tr { break-inside: avoid; page-break-inside: avoid; }
td.num { font-weight:700; color:var(--muted); width: 2em; }
td.q { width: 23%; font-weight: 600; }
td.q a { color: inherit; text-decoration: none; border-bottom: 1px dotted var(--muted); }
td.verdict { width: 1%; white-space: nowrap; }
.headline { margin: 0 0 5px; }
.not-answered .headline { color: var(--muted); font-style: italic; }
.not-answered td.q { color: var(--muted); }
.metrics { margin:0; padding:0; list-style:none; display:flex; flex-wrap:wrap; gap:4px 8px; }
.metrics li { background: var(--tint); border:1px solid var(--rule); border-radius: 4px; padding: 1px 7px;
  font-size: 12.5px; }
.metrics .v { font-weight: 700; font-variant-numeric: tabular-nums; }
.failed { color:#b3261e; font-size:12.5px; margin: 4px 0 0; }
.ledger h2 { font-size: 15px; margin: 16px 0 4px; }
.ledger p { margin: 0 0 4px; }
.ledger ul { margin: 0; padding-left: 18px; font-size: 12.5px; }
.ledger li { margin: 2px 0; }
.ledger li.contradiction::marker { color:#b3261e; } .ledger li.gap::marker { color:#a15c00; }
.ledger code { font-size: 11.5px; background: var(--tint); padding: 0 3px; border-radius: 3px; }
footer { margin-top: 14px; font-size: 11.5px; color: var(--muted); }
footer a { color: inherit; }
.matrix th, .matrix td { border-bottom: 1px solid var(--rule); padding: 8px 6px; text-align: center;
  vertical-align: middle; }
.matrix th { font-size: 11.5px; color: var(--muted); font-weight: 600; }
.matrix th.case, .matrix td.case { text-align: left; }
.matrix td.case a { font-weight: 700; color: inherit; }
.matrix td.case p { margin: 2px 0 0; font-size: 12.5px; color: var(--muted); }
.matrix a { text-decoration: none; }
.matrix .aipm-badge { font-size: 12px; }
.page.wide { max-width: 1200px; }
@media print {
  @page { margin: 11mm 12mm; }
  body { background: #fff; font-size: 9pt; line-height: 1.35; }
  .page, .page.wide { margin: 0; padding: 0; box-shadow: none; max-width: none; }
  .kicker { font-size: 7.5pt; }
  h1 { font-size: 16pt; margin-bottom: 3px; }
  .summary { font-size: 9.5pt; margin-bottom: 8px; }
  .readiness { padding: 5px 10px; margin-bottom: 8px; }
  .readiness strong { font-size: 11pt; }
  .questions th { font-size: 7pt; padding: 4px 5px; }
  .questions td { padding: 5px 5px; }
  td.q { width: 22%; }
  .headline { margin-bottom: 3px; }
  .metrics { gap: 2px 5px; }
  .metrics li { font-size: 8pt; padding: 0 5px; }
  .aipm-badge { font-size: 8pt; }
  footer { margin-top: 6px; font-size: 7.5pt; }
  td.q a { border-bottom: none; }
  .aipm-badge, .readiness, .metrics li { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
# the readiness line takes its level's colour from the one place colours live (result.level_colour)
_CSS = _CSS.replace("READINESS_COLOURS", "\n".join(
    f".readiness.{name} {{ border-color:{colour}; }} .readiness.{name} strong {{ color:{colour}; }}"
    for name, colour in [*((lv, level_colour(lv)) for lv in LEVELS), ("none", level_colour(None))]))


def _page(title: str, body: str, wide: bool = False) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main class="page{" wide" if wide else ""}">\n{body}\n</main>\n</body>\n</html>\n'
    )


def _readiness_html(readiness: Readiness) -> str:
    return (f'<section class="readiness {readiness.level or "none"}"><strong>{html.escape(readiness.status)}</strong>'
            f"<span>{html.escape(readiness.message)}</span></section>")


def brief_html(case: Case, results: Mapping[str, Result] | None = None, links: Mapping[str, str] | None = None,
               failed: Iterable[str] = ()) -> str:
    """The brief as a standalone, printable HTML page.

    ``links`` maps a question key to its filled notebook's HTML (relative to the brief); ``failed`` names the
    question keys whose notebook failed in the build, so the reader knows the link shows an error.
    """
    e = html.escape
    results = results if results is not None else case_results(case)
    links = links or {}
    failed = set(failed)
    rows = []
    for q in QUESTIONS:
        r = results.get(q.key) or Result.not_answered(q.key, q.title)
        title = e(q.title)
        if q.key in links:
            title = f'<a href="{e(links[q.key], quote=True)}">{title}</a>'
        if r.answered or r.verdict == ANALYSIS_FAILED:
            metrics = "".join(f'<li><span class="k">{e(m.name)}</span> <span class="v">{e(m.formatted())}</span></li>'
                              for m in r.key_metrics)
            detail = f'<p class="headline">{e(r.headline)}</p>'
            detail += f'<ul class="metrics">{metrics}</ul>' if metrics else ""
        else:
            detail = '<p class="headline">Not answered yet: the case file has no answers for this question.</p>'
        if q.key in failed:
            detail += '<p class="failed">The notebook failed in this build: its page shows the error.</p>'
        rows.append(f'<tr class="{"answered" if r.answered else "not-answered"}"><td class="num">{q.number}</td>'
                    f'<td class="q">{title}</td><td class="verdict">{badge(r.verdict, r.level)}</td>'
                    f"<td>{detail}</td></tr>")
    source = f" from the case file {e(case.path.name)}" if case.path else ""
    note = " Each question's title links to its filled notebook." if links else ""
    body = (
        '<header><p class="kicker">AI product brief</p>'
        f"<h1>{e(case.name)}</h1>"
        + (f'<p class="summary">{e(case.summary)}</p>' if case.summary else "")
        + "</header>\n"
        + _readiness_html(launch_readiness(results)) + "\n"
        + '<table class="questions"><thead><tr><th>#</th><th>Question</th><th>Verdict</th>'
          "<th>Finding and the numbers that matter</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n"
        + (f'<p class="provenance">{e(_eval_provenance(case))}</p>\n' if _eval_provenance(case) else "")
        + _holds_together_html(check(case, results))
        + f"<footer>Made by aipm-kit{source}.{note}</footer>"
    )
    return _page(f"{case.name} — AI product brief", body)


def _eval_provenance(case: Case) -> str | None:
    """Where question 6's eval run came from, when ``aipm-kit import`` wrote it (its provenance file beside it)."""
    answers = case.answers("evaluation")
    path = getattr(answers, "results_file", None)
    if path is None:
        return None
    from .importers.provenance import describe, read_provenance

    record = read_provenance(path)
    return f"Question 6's eval run was imported from {describe(record)}." if record else None


def _holds_together_html(findings: list[Finding]) -> str:
    e = html.escape
    if not findings:
        return ('<section class="ledger"><h2>Does the case hold together?</h2><p>Yes: wherever two questions '
                "use one number, they agree.</p></section>\n")
    items = "".join(
        f'<li class="{"contradiction" if f.contradiction else "gap"}"><strong>{e(f.quantity)}</strong>: '
        f"<code>{e(f.home)}</code> = {e(f.home_value)}, but <code>{e(f.other)}</code> = {e(f.other_value)}. "
        f"{e(f.effect)} <em>Fix:</em> {e(f.fix)}</li>" for f in findings)
    contradictions = sum(f.contradiction for f in findings)
    lead = (f"No: {contradictions} contradiction{'s' if contradictions != 1 else ''} to settle before the verdicts "
            "can be trusted." if contradictions else "Mostly: the plans differ from the evidence in places.")
    return f'<section class="ledger"><h2>Does the case hold together?</h2><p>{e(lead)}</p><ul>{items}</ul></section>\n'


# ---- Markdown ---------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$])")  # `$` too: Jupyter reads $…$ as maths


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: its markup characters backslash-escaped, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def brief_markdown(case: Case, results: Mapping[str, Result] | None = None,
                   links: Mapping[str, str] | None = None, failed: Iterable[str] = ()) -> str:
    """The brief as Markdown (a table per question row), to paste into a document."""
    results = results if results is not None else case_results(case)
    links = links or {}
    failed = set(failed)
    readiness = launch_readiness(results)
    lines = [f"# {md_escape(case.name)}", ""]
    if case.summary:
        lines += [md_escape(case.summary), ""]
    lines += [f"**Launch readiness: {md_escape(readiness.status)}.** {md_escape(readiness.message)}", "",
              "| # | Question | Verdict | Finding | Numbers that matter |", "|---|---|---|---|---|"]
    for q in QUESTIONS:
        r = results.get(q.key) or Result.not_answered(q.key, q.title)
        title = md_escape(q.title)
        if q.key in links:
            title = f"[{title}]({links[q.key]})"
        if r.answered or r.verdict == ANALYSIS_FAILED:
            headline = md_escape(r.headline)
            numbers = "; ".join(f"{md_escape(m.name)}: **{md_escape(m.formatted())}**" for m in r.key_metrics) or "—"
            verdict = f"**{md_escape(r.verdict)}**"
        else:
            headline, numbers, verdict = "*Not answered yet.*", "—", NOT_ANSWERED
        if q.key in failed:
            headline += " (the notebook failed in this build)"
        lines.append(f"| {q.number} | {title} | {verdict} | {headline} | {numbers} |")
    if _eval_provenance(case):
        lines += ["", f"*{md_escape(_eval_provenance(case))}*"]
    findings = check(case, results)
    lines += ["", "## Does the case hold together?", ""]
    if not findings:
        lines.append("Yes: wherever two questions use one number, they agree.")
    for f in findings:
        mark = "Contradiction" if f.contradiction else "Gap"
        lines.append(f"- **{mark} — {md_escape(f.quantity)}:** {md_escape(f.home)} = {md_escape(f.home_value)}, "
                     f"but {md_escape(f.other)} = {md_escape(f.other_value)}. {md_escape(f.effect)} "
                     f"*Fix:* {md_escape(f.fix)}")
    source = f" from the case file `{case.path.name}`" if case.path and "`" not in case.path.name else ""
    lines += ["", f"*Made by aipm-kit{source}.*", ""]
    return "\n".join(lines)


def write_brief(case: Case | str | os.PathLike, out: str | os.PathLike, links: Mapping[str, str] | None = None,
                failed: Iterable[str] = ()) -> Path:
    """Write ``case``'s brief to ``out``: Markdown when it ends in ``.md``, else HTML. No notebook is run.

    Without ``links``, each question links to its notebook's HTML when that file sits beside ``out``.
    """
    if not isinstance(case, Case):
        case = load_case(case)
    path = Path(out)
    if links is None:
        links = notebook_links(path.parent if str(path.parent) else Path("."))
    results = case_results(case)
    render = brief_markdown if path.suffix.lower() in (".md", ".markdown") else brief_html
    write_atomic(path, render(case, results, links, failed))
    return path


# ---- the index of a build -----------------------------------------------------------------------------

@dataclass
class IndexEntry:
    """One case in the index: where its folder is (relative to the index) and what it concluded."""

    case: Case
    folder: str  # the case's output folder, relative to the index page (its slug)
    results: Mapping[str, Result]
    links: Mapping[str, str] = field(default_factory=dict)  # question key → notebook HTML, relative to folder
    failed: set[str] = field(default_factory=set)


def index_html(entries: Iterable[IndexEntry]) -> str:
    """The cases × questions matrix of verdict badges; each badge links to that filled notebook."""
    e = html.escape
    head = "".join(f'<th title="{e(q.title, quote=True)}">{q.number}<br>{e(short_label(q))}</th>' for q in QUESTIONS)
    rows = []
    for entry in entries:
        folder = entry.folder
        cells = []
        for q in QUESTIONS:
            r = entry.results.get(q.key) or Result.not_answered(q.key, q.title)
            cell = badge("failed" if q.key in entry.failed else r.verdict,
                         "stop" if q.key in entry.failed else r.level)
            tip = e(f"{q.number}. {q.title} — {r.headline}", quote=True)
            if q.key in entry.links:
                cell = f'<a href="{e(folder + "/" + entry.links[q.key], quote=True)}" title="{tip}">{cell}</a>'
            else:
                cell = f'<span title="{tip}">{cell}</span>'
            cells.append(f"<td>{cell}</td>")
        readiness = launch_readiness(entry.results)
        brief = e(f"{folder}/brief.html", quote=True)
        rows.append(
            f'<tr><td class="case"><a href="{brief}">{e(entry.case.name)}</a>'
            + (f"<p>{e(entry.case.summary)}</p>" if entry.case.summary else "")
            + f"</td>{''.join(cells)}<td>{badge(readiness.status, readiness.level)}</td></tr>"
        )
    body = (
        '<header><p class="kicker">aipm-kit build</p><h1>Worked cases</h1>'
        '<p class="summary">Each row is one case; each badge is that question\'s verdict and opens its filled '
        "notebook. A case's name opens its one-page brief.</p></header>\n"
        f'<table class="matrix"><thead><tr><th class="case">Case</th>{head}<th>Launch</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>"
    )
    return _page("aipm-kit — worked cases", body, wide=True)

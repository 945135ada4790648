"""Question 1 — What problem should we solve to maximize impact?

A good problem is specific (a user, a pain, a situation), validated with real users (they described it from
what they did, not what they might do), solution-agnostic (no "build a chatbot"), and worth more than the
other problems on the table. This worksheet checks each of those in turn.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..result import Result
from ..selfcheck import Check
from ..sources import MAX_LIST_ITEMS
from ..stats import wilson_interval

if TYPE_CHECKING:
    from ..case import Case

KEY = "problem"
TITLE = "What problem should we solve to maximize impact?"

# Words that name a solution rather than a problem. "agent" is left out: support agents are users.
SOLUTION_WORDS = (
    "ai", "artificial intelligence", "ml", "machine learning", "model", "models", "chatbot", "chat bot", "bot",
    "llm", "llms", "gpt", "chatgpt", "genai", "generative", "copilot", "rag", "neural", "classifier",
    "algorithm", "app", "apps", "dashboard", "automate", "automated", "automates", "automating", "automation",
    "platform",
)
_SOLUTION_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in SOLUTION_WORDS) + r")\b", re.IGNORECASE)

MIN_INTERVIEWS = 5
LISTED_CANDIDATES = 50  # rows of the ranking shown; the chosen candidate is always among them
LABELLED_CANDIDATES = 12  # names written on the landscape: the chosen one and the best bets
LABEL_WIDTH = 40  # characters of a name written on the landscape

@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; the numbers it quotes come from the kit's own functions."""
    low, high = wilson_interval(9, 12)
    sized = analyze(Answers(users_affected=250, occurrences_per_user_per_month=4, cost_per_occurrence=12))
    monthly, annual = sized.metric_value("Monthly cost of the problem"), sized.metric_value("Annual cost of the problem")
    return (
        Check("Which problem statement is solution-agnostic?",
              ("Customers wait two days for an answer to a billing question, and a third of them phone us to "
               "chase it.",
               "Customers wait two days for billing answers, so they need a chatbot that replies at once.",
               "Billing questions take too long to answer; automating the replies would cut the wait."),
              0, "It says who suffers, what hurts and when, and leaves the fix open. The other two describe the "
                 "pain well but smuggle in a fix (a chatbot, automation): the worksheet flags those words."),
        Check("9 of 12 interviewees described the problem from something they did last month (75%); 3 more said "
              "they would love a fix. Your bar is 60%. What does the evidence say?",
              ("It clears the bar: 75% is well above 60%.",
               "It clears the bar easily: counting the three who want a fix, 12 of 12 have the problem.",
               f"Not shown yet: the 95% interval of 9 of 12 runs from {low:.0%} to {high:.0%}, and its low end "
               f"is under 60%; interview more people."),
              2, f"Twelve interviews cannot tell 75% from {low:.0%}, so the verdict uses the interval's low end. "
                 f"Wanting a fix is an opinion about a future product, not evidence of the problem."),
        Check("250 users hit the problem 4 times a month, each time costing $12 of their time. What does that "
              "tell you?",
              (f"Solving it saves ${monthly:,.0f} a month from the day the fix ships.",
               f"It costs ${annual:,.0f} a year: the most a fix can be worth, before what the fix costs and how "
               f"much of the problem it removes.",
               f"It costs ${monthly:,.0f} a year: users × occurrences × cost."),
              1, f"250 × 4 × $12 = ${monthly:,.0f} a month, ${annual:,.0f} a year. It is a ceiling: a fix that "
                 f"removes half the problem is worth half, less its own running cost (question 2 weighs that)."),
    )


class Candidate(BaseModel):
    """One problem on the table, scored so it can be compared with the others."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="Short name of the candidate problem.")
    reach: float = Field(0, ge=0, description="Users or events affected per quarter (same unit for every candidate).")
    impact: Literal[0.25, 0.5, 1, 2, 3] = Field(
        1, description="Impact on each one reached: 3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal.")
    confidence: float = Field(0.5, ge=0, le=1, description="How sure you are of reach and impact (0–1).")
    effort: float = Field(1, gt=0, description="Person-months to solve it.")
    importance: float = Field(5, ge=1, le=10, description="How important users rate the need (1–10).")
    satisfaction: float = Field(5, ge=1, le=10, description="How satisfied users are with today's way (1–10).")


class Answers(BaseModel):
    """The problem worksheet: the statement, the evidence, its cost, and the alternatives."""

    model_config = ConfigDict(extra="forbid")
    # a verdict needs the problem as users live it; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("statement", "user", "pain")

    statement: str = Field(
        "", json_schema_extra={"multiline": True},
        description="The problem in one or two sentences: who has it, what hurts, and when. No solution words.")
    user: str = Field("", description="Who has the problem (a role or segment, e.g. 'tier-1 support agents').")
    pain: str = Field("", description="What goes wrong for them, in their terms (time lost, errors, money).")
    context: str = Field("", description="When or where it happens (the situation or workflow step).")
    interviews: int = Field(0, ge=0, description="Users interviewed about this problem.")
    described_from_behaviour: int = Field(
        0, ge=0, description="Interviewees who described the problem from something they actually did recently.")
    committed: int = Field(
        0, ge=0, description="Interviewees who committed something: time, money or data.")
    validation_bar: float = Field(
        0.5, ge=0, le=1, description="Share of interviewees who must have the problem to call it validated (0–1).")
    users_affected: int = Field(0, ge=0, description="People who have the problem.")
    occurrences_per_user_per_month: float = Field(
        0, ge=0, description="How often each of them meets it in a month.")
    cost_per_occurrence: float = Field(
        0, ge=0, description="What one occurrence costs, in dollars (time × loaded rate, plus any loss).")
    candidates: list[Candidate] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="The problems competing for the team's time, this one included.")
    chosen: str = Field("", description="The candidate this statement is about (its name in the list).")

    @model_validator(mode="after")
    def _consistent(self) -> Answers:
        if self.described_from_behaviour > self.interviews:
            raise ValueError(f"described_from_behaviour ({self.described_from_behaviour}) cannot exceed "
                             f"interviews ({self.interviews})")
        if self.committed > self.interviews:
            raise ValueError(f"committed ({self.committed}) cannot exceed interviews ({self.interviews})")
        names = [c.name for c in self.candidates]
        if self.chosen and names and self.chosen not in names:
            raise ValueError(f"chosen ({self.chosen!r}) is not one of the candidates: {', '.join(names)}")
        return self


def analyze(answers: Answers, case: Case | None = None) -> Result:
    result = Result(KEY, TITLE, verdict="Go", level="go", headline="")
    stops: list[str] = []
    cautions: list[str] = []

    _lint_statement(answers, result, stops, cautions)
    share = _weigh_evidence(answers, result, stops, cautions)
    annual = _size_impact(answers, result, stops)
    _rank_candidates(answers, result, cautions)

    if stops:
        result.verdict, result.level = "Stop", "stop"
        result.headline = "Stop: " + stops[0]
    elif cautions:
        result.verdict, result.level = "Caution", "caution"
        result.headline = "Caution: " + cautions[0]
    else:
        result.headline = (
            f"Go: {answers.described_from_behaviour} of {answers.interviews} interviewees have this problem "
            f"({share:.0%}), it costs about ${annual:,.0f} a year, and it ranks first of "
            f"{len(answers.candidates)} candidates."
        )
    return result


# ---- the steps ---------------------------------------------------------------------------------------

def solution_words(text: str) -> list[str]:
    """The solution words in ``text``, in order of appearance, each once (lower-case)."""
    seen: dict[str, None] = {}
    for match in _SOLUTION_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def _lint_statement(a: Answers, result: Result, stops: list[str], cautions: list[str]) -> None:
    if not a.statement.strip():
        stops.append("there is no problem statement yet.")
        result.add("stop", "Write the problem statement: who has it, what hurts, and when.")
        return
    words = solution_words(" ".join((a.statement, a.pain, a.context)))
    if words:
        msg = (f"the statement names a solution ({', '.join(words)}); describe the problem so that a non-AI fix "
               f"could answer it too.")
        cautions.append(msg)
        result.add("caution", msg)
    else:
        result.add("go", "The statement is solution-agnostic.")
    missing = [part for part, text in (("user", a.user), ("pain", a.pain), ("context", a.context))
               if not text.strip()]
    if a.user.strip() and not _mentions(a.statement, a.user):
        missing.append("user (the statement does not mention them)")
    if missing:
        msg = f"the statement names no {', no '.join(missing)}."
        cautions.append(msg)
        result.add("caution", msg)


def _mentions(statement: str, who: str) -> bool:
    """Whether the statement mentions the user: any word of 4+ letters of ``who`` (or its stem) appears."""
    text = statement.lower()
    return any(word[:5] in text for word in re.findall(r"[a-z]{4,}", who.lower()))


def _weigh_evidence(a: Answers, result: Result, stops: list[str], cautions: list[str]) -> float:
    n, k = a.interviews, a.described_from_behaviour
    if n == 0:
        stops.append("no user has been interviewed about this problem.")
        result.add("stop", "Interview users: ask about the last time it happened, not whether they would like a fix.")
        result.metric("Share of interviewees with the problem", None, "%", key=True)
        return 0.0
    share = k / n
    low, high = wilson_interval(k, n)
    result.metric("Interviews", n)
    result.metric("Share of interviewees with the problem", share, "%", key=True)
    result.metric("95% interval, low", low, "%")
    result.metric("95% interval, high", high, "%")
    result.metric("Share who committed time, money or data", a.committed / n, "%")
    if share < a.validation_bar:
        msg = (f"only {k} of {n} interviewees ({share:.0%}) described the problem from experience, under the "
               f"{a.validation_bar:.0%} bar.")
        stops.append(msg)
        result.add("stop", msg)
    elif low < a.validation_bar:
        msg = (f"{k} of {n} interviewees have the problem, but the 95% interval ({low:.0%}–{high:.0%}) reaches "
               f"below the {a.validation_bar:.0%} bar: interview more users.")
        cautions.append(msg)
        result.add("caution", msg)
    else:
        result.add("go", f"{k} of {n} interviewees have the problem; even the interval's low end ({low:.0%}) "
                         f"clears the {a.validation_bar:.0%} bar.")
    if n < MIN_INTERVIEWS:
        msg = f"{n} interviews are too few to judge; talk to at least {MIN_INTERVIEWS}."
        cautions.append(msg)
        result.add("caution", msg)
    if a.committed == 0:
        msg = "nobody committed time, money or data: interest is not yet evidence of need."
        cautions.append(msg)
        result.add("caution", msg)
    return share


def _size_impact(a: Answers, result: Result, stops: list[str]) -> float:
    monthly = a.users_affected * a.occurrences_per_user_per_month * a.cost_per_occurrence
    annual = monthly * 12
    result.metric("Monthly cost of the problem", monthly, "$")
    result.metric("Annual cost of the problem", annual, "$", key=True)
    result.tables["Impact sizing"] = pd.DataFrame({
        "users affected": [a.users_affected],
        "occurrences per user per month": [a.occurrences_per_user_per_month],
        "cost per occurrence ($)": [a.cost_per_occurrence],
        "monthly cost ($)": [round(monthly, 2)],
        "annual cost ($)": [round(annual, 2)],
    })
    if annual == 0:
        stops.append("the problem has no estimated cost: size who has it, how often, and what it costs.")
        result.add("stop", "Size the problem: users affected × occurrences per month × cost per occurrence.")
    else:
        result.add("info", f"{a.users_affected:,} people × {a.occurrences_per_user_per_month:,g} times a month × "
                           f"${a.cost_per_occurrence:,.2f} = ${monthly:,.0f} a month, ${annual:,.0f} a year.")
    return annual


def rice(c: Candidate) -> float:
    """RICE score: reach × impact × confidence ÷ effort."""
    return c.reach * c.impact * c.confidence / c.effort


def opportunity(c: Candidate) -> float:
    """Opportunity score: importance + max(importance − satisfaction, 0)."""
    return c.importance + max(c.importance - c.satisfaction, 0)


def _rank_candidates(a: Answers, result: Result, cautions: list[str]) -> str | None:
    if not a.candidates:
        msg = "no other candidate problems were compared; list the alternatives to show this one is the best bet."
        cautions.append(msg)
        result.add("caution", msg)
        return None
    table = pd.DataFrame({
        "candidate": [c.name for c in a.candidates],
        "reach": [c.reach for c in a.candidates],
        "impact": [c.impact for c in a.candidates],
        "confidence": [c.confidence for c in a.candidates],
        "effort": [c.effort for c in a.candidates],
        "RICE": [round(rice(c), 1) for c in a.candidates],
        "importance": [c.importance for c in a.candidates],
        "satisfaction": [c.satisfaction for c in a.candidates],
        "opportunity": [round(opportunity(c), 2) for c in a.candidates],
    })
    table["RICE rank"] = table["RICE"].rank(ascending=False, method="min").astype(int)
    table["opportunity rank"] = table["opportunity"].rank(ascending=False, method="min").astype(int)
    table = table.sort_values(["RICE rank", "opportunity rank"], kind="stable").reset_index(drop=True)
    chosen = a.chosen or (a.candidates[0].name if len(a.candidates) == 1 else "")
    result.tables["Candidate problems, ranked by RICE"] = _listed(table, chosen)
    result.figures["Opportunity landscape"] = _landscape(a, table)
    top = str(table.loc[0, "candidate"])
    if not chosen:
        msg = "say which candidate the statement is about (chosen) so it can be compared with the others."
        cautions.append(msg)
        result.add("caution", msg)
        return top
    row = table[table["candidate"] == chosen].iloc[0]
    result.metric("RICE rank of the chosen problem", int(row["RICE rank"]), key=True)
    result.metric("Opportunity rank of the chosen problem", int(row["opportunity rank"]))
    if row["RICE rank"] != 1:
        msg = (f"{top!r} scores higher by RICE ({table.loc[0, 'RICE']:,.0f} vs {row['RICE']:,.0f}); "
               f"say why {chosen!r} comes first or work on {top!r}.")
        cautions.append(msg)
        result.add("caution", msg)
    else:
        result.add("go", f"{chosen!r} ranks first of {len(table)} candidates by RICE "
                         f"and {int(row['opportunity rank'])} by opportunity.")
    return top


def _listed(table: pd.DataFrame, chosen: str) -> pd.DataFrame:
    """The ranking as shown: every candidate up to ``LISTED_CANDIDATES``, else the top ones and the chosen one
    (a long table in a notebook or a brief hides the decision instead of showing it)."""
    if len(table) <= LISTED_CANDIDATES:
        return table
    keep = table.index < LISTED_CANDIDATES
    if chosen:
        keep |= (table["candidate"] == chosen).to_numpy()
    return table[keep].reset_index(drop=True)


def _landscape(a: Answers, table: pd.DataFrame):
    """Importance against satisfaction, one point per candidate; the chosen one and the best bets by
    opportunity are named. Every point is drawn in one call: a call per candidate re-fits the axes each
    time, which made 2,000 candidates take over a minute."""
    from ..charts import Figure  # user text drawn as written, never as mathtext

    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    ax.fill_between([1, 10], [1, 10], [1, 1], color="#fde8e6", label="under-served (importance > satisfaction)")
    ax.plot([1, 10], [1, 10], color="#999", lw=1, ls="--")
    importance = table["importance"].to_numpy(dtype=float)
    satisfaction = table["satisfaction"].to_numpy(dtype=float)
    is_chosen = (table["candidate"] == a.chosen).to_numpy() if a.chosen else np.zeros(len(table), bool)
    ax.scatter(importance[~is_chosen], satisfaction[~is_chosen], s=45, color="#44546a", zorder=3)
    if is_chosen.any():
        ax.scatter(importance[is_chosen], satisfaction[is_chosen], s=80, color="#b3261e", zorder=4)
    best = table.sort_values(["opportunity rank", "RICE rank"], kind="stable").index
    named = list(np.flatnonzero(is_chosen)) + [i for i in best if not is_chosen[i]]
    for i in sorted(named[:LABELLED_CANDIDATES]):
        ax.annotate(_label(str(table.loc[i, "candidate"])), (importance[i], satisfaction[i]), xytext=(6, 4),
                    textcoords="offset points", fontsize=9, fontweight="bold" if is_chosen[i] else "normal")
    title = "Opportunity landscape: the best bets sit bottom right"
    if len(table) > LABELLED_CANDIDATES:
        title += f"\n({len(table):,} candidates; the {LABELLED_CANDIDATES} named are the chosen one and the best bets)"
    ax.set(xlim=(1, 10.5), ylim=(1, 10.5), xlabel="importance (1–10)", ylabel="satisfaction today (1–10)",
           title=title)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def _label(name: str, width: int = LABEL_WIDTH) -> str:
    """A candidate's name as the chart writes it: one line, cut at ``width`` characters (a name pasted with a
    whole document in it took minutes to lay out)."""
    name = " ".join(name.split())
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"

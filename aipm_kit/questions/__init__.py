"""The seven questions, in order. Each lives in its own module: an ``Answers`` model and ``analyze``.

A question module is imported only when it is used, so listing the questions costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..case import Case
    from ..result import Result


# The stages a product passes through, in order (``Case.stage``): a question may need a later one.
STAGE_ORDER: tuple[str, ...] = ("idea", "pilot", "launched")


@dataclass(frozen=True)
class Question:
    number: int
    key: str  # the module name and the case file's section name
    title: str
    lesson: str

    @property
    def notebook(self) -> str:
        """The notebook's file stem, e.g. ``01_problem``."""
        return f"{self.number:02d}_{self.key}"

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.key}")

    @property
    def available(self) -> bool:
        """Whether this version of the kit implements the question."""
        return importlib.util.find_spec(f"{__name__}.{self.key}") is not None

    @property
    def answers_model(self) -> type[BaseModel]:
        return self.module.Answers

    @property
    def needed_for_verdict(self) -> tuple[str, ...]:
        """The answers a verdict needs (the model's ``NEEDED_FOR_VERDICT``): without them it is not answered."""
        return tuple(getattr(self.answers_model, "NEEDED_FOR_VERDICT", ()))

    @property
    def stage_needed(self) -> str | None:
        """The product stage this question starts at (the module's ``STAGE_NEEDED``): None for any stage."""
        return getattr(self.module, "STAGE_NEEDED", None)

    def reaches(self, stage: str | None) -> bool:
        """Whether a product at ``stage`` can answer this question (an unknown stage reaches every question)."""
        needed = self.stage_needed
        if stage is None or needed is None:
            return True
        return STAGE_ORDER.index(stage) >= STAGE_ORDER.index(needed)

    def plan(self, answers: Any, case: Case) -> Result:
        """The "Not yet" result of a question the case's stage does not reach: the module's ``plan``."""
        return self.module.plan(answers if answers is not None else self.answers_model(), case)

    def missing(self, answers: Any) -> list[str]:
        """The needed answers still blank (empty text, no file, an empty list, or zero), in the model's order."""
        return [name for name in self.needed_for_verdict if _blank(getattr(answers, name, None))]

    def analyze(self, answers: Any, case: Case | None = None) -> Result:
        """The question's verdict, "Not yet" (a plan) when the case's stage does not reach the question, or "Not
        answered" naming what is missing while a needed answer is blank."""
        if case is not None and not self.reaches(case.stage):
            return self.plan(answers, case)
        missing = self.missing(answers)
        if missing:
            return self.not_answered(missing)
        return self.module.analyze(answers, case)

    def not_answered(self, missing: list[str] | None = None) -> Result:
        """The "Not answered" result, naming the needed answers still blank (all of them by default)."""
        from ..labels import field_label, in_sentence
        from ..result import Result

        fields = self.answers_model.model_fields
        names = self.needed_for_verdict if missing is None else missing
        labels = [in_sentence(field_label(name, fields[name])) for name in names]
        return Result.not_answered(self.key, self.title, needed=labels)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not value
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    return False


QUESTIONS: tuple[Question, ...] = (
    Question(1, "problem", "What problem should we solve to maximize impact?",
             "Specific, validated with real users, and solution-agnostic: if the problem is wrong, the model does not matter."),
    Question(2, "need_ai", "Does this need AI?",
             "Usually not. Saying no when rules, UX or a process change will do is the job, not a failure."),
    Question(3, "data", "Do we have the right data?",
             "\"We have data\" is not a plan. List what you need, what you have and what is missing."),
    Question(4, "approach", "How do we turn data into something useful?",
             "Prompt, RAG, trained model or agent: each has its use, its cost profile and its failure modes."),
    Question(5, "experience", "How will users experience it?",
             "Users need trust, control and recovery. Design for the moments the AI is wrong."),
    Question(6, "evaluation", "How do we know it works before launch?",
             "Not a yes/no demo: an eval set of good, bad and edge cases, and a threshold you ship above."),
    Question(7, "monitoring", "How do we keep making it better?",
             "AI products degrade unwatched: sample live traffic, grow the test set, never stop monitoring."),
)

BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


def question(key_or_number: str | int) -> Question:
    """Look a question up by its key (``"problem"``), notebook stem (``"01_problem"``) or number."""
    if isinstance(key_or_number, int) or str(key_or_number).isdigit():
        number = int(key_or_number)
        if 1 <= number <= len(QUESTIONS):
            return QUESTIONS[number - 1]
    else:
        key = str(key_or_number)
        key = key.split("_", 1)[1] if key[:2].isdigit() and "_" in key else key
        if key in BY_KEY:
            return BY_KEY[key]
    raise KeyError(f"no question {key_or_number!r}; the questions are {', '.join(BY_KEY)} (or 1–7)")

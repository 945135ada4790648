"""aipm-kit: the seven questions of AI product management, as notebooks, forms and templates.

The public API is this module's names; everything else is private to the kit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .case import Case, CaseError, load_case
from .questions import QUESTIONS, Question, question
from .result import Finding, Result
from .selfcheck import self_check

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .forms import Form

__all__ = ["Case", "CaseError", "Finding", "QUESTIONS", "Question", "Result", "__version__", "analyze", "form",
           "load_case", "question", "self_check"]


def analyze(case: Case | str, key: str) -> Result:
    """The result of question ``key`` (``"problem"``, ``"need_ai"`` …) for ``case`` (a Case, a path or a name)."""
    if not isinstance(case, Case):
        case = load_case(case)
    return case.shown(case.analyze(question(key).key))


def form(case: Case | str, key: str, interactive: bool = True, **options: Any) -> Form:
    """The worksheet for question ``key``: widgets when ``interactive`` (and a front end is there), else a table."""
    from .forms import Form

    if not isinstance(case, Case):
        case = load_case(case)
    return Form(case, question(key).key, interactive=interactive, **options)

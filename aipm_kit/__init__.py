"""aipm-kit: the seven questions of AI product management, as notebooks, forms and templates.

The public API is this module's names; everything else is private to the kit. The names are loaded when first
used (PEP 562), so ``import aipm_kit`` and ``aipm-kit --help`` do not pay for pydantic, ruamel.yaml and the
question models until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .case import Case, CaseError, load_case
    from .forms import Form
    from .questions import QUESTIONS, Question, question
    from .result import Finding, Result
    from .selfcheck import self_check

__all__ = ["Case", "CaseError", "Finding", "QUESTIONS", "Question", "Result", "__version__", "analyze", "form",
           "load_case", "question", "self_check"]

_HOMES = {"Case": "case", "CaseError": "case", "load_case": "case", "QUESTIONS": "questions",
          "Question": "questions", "question": "questions", "Finding": "result", "Result": "result",
          "self_check": "selfcheck"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def analyze(case: Case | str, key: str) -> Result:
    """The result of question ``key`` (``"problem"``, ``"need_ai"`` …) for ``case`` (a Case, a path or a name)."""
    from .case import Case, load_case
    from .questions import question

    if not isinstance(case, Case):
        case = load_case(case)
    return case.shown(case.analyze(question(key).key))


def form(case: Case | str, key: str, interactive: bool = True, **options: Any) -> Form:
    """The worksheet for question ``key``: widgets when ``interactive`` (and a front end is there), else a table."""
    from .case import Case, load_case
    from .forms import Form
    from .questions import question

    if not isinstance(case, Case):
        case = load_case(case)
    return Form(case, question(key).key, interactive=interactive, **options)

"""The short self-check at the end of each question notebook: multiple choice, every answer explained."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

from .result import NO_MATHS


@dataclass(frozen=True)
class Check:
    """One multiple-choice question on a lesson; ``answer`` is the index of the right option."""

    question: str
    options: tuple[str, ...]
    answer: int
    why: str

    def __post_init__(self) -> None:
        if not 0 <= self.answer < len(self.options):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.options)} options")


def headless() -> bool:
    """True when no front end can show widgets: ``AIPM_KIT_HEADLESS=1`` (set by the build and the tests)."""
    return os.environ.get("AIPM_KIT_HEADLESS", "").strip().lower() in ("1", "true", "yes")


class SelfCheck:
    """The checks of one question: radio buttons with feedback in JupyterLab, a printed key when headless."""

    def __init__(self, checks: tuple[Check, ...], interactive: bool = True):
        self.checks = checks
        self.interactive = interactive and not headless()

    def _repr_html_(self) -> str:
        parts = [f"<div class='aipm-selfcheck {NO_MATHS}'><h4>Self-check</h4><ol>"]
        for c in self.checks:
            options = "".join(f"<li>{html.escape(o)}</li>" for o in c.options)
            parts.append(
                f"<li><p>{html.escape(c.question)}</p><ol type='a'>{options}</ol>"
                f"<details><summary>Answer</summary><p><strong>{chr(97 + c.answer)}. "
                f"{html.escape(c.options[c.answer])}</strong> — {html.escape(c.why)}</p></details></li>"
            )
        parts.append("</ol></div>")
        return "".join(parts)

    def __repr__(self) -> str:
        lines = ["Self-check"]
        for i, c in enumerate(self.checks, 1):
            lines.append(f"{i}. {c.question}")
            lines += [f"   {chr(97 + j)}. {o}" for j, o in enumerate(c.options)]
            lines.append(f"   Answer: {chr(97 + c.answer)}. {c.why}")
        return "\n".join(lines)

    def widget(self) -> Any:
        import ipywidgets as w

        rows = [w.HTML("<h4>Self-check</h4>")]
        for i, c in enumerate(self.checks, 1):
            choice = w.RadioButtons(options=list(c.options), value=None, layout=w.Layout(width="auto"))
            feedback = w.HTML()

            def reply(change: dict, c: Check = c, feedback: Any = feedback) -> None:
                right = change["new"] == c.options[c.answer]
                mark = "<b style='color:#1b7f3b'>Right.</b>" if right else "<b style='color:#b3261e'>Not quite.</b>"
                feedback.value = f"{mark} {html.escape(c.why)}"

            choice.observe(reply, names="value")
            rows += [w.HTML(f"<p><b>{i}. {html.escape(c.question)}</b></p>"), choice, feedback]
        return w.VBox(rows)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        if self.interactive:
            display(self.widget())
        else:
            display(HTML(self._repr_html_()))


def self_check(key: str, interactive: bool = True) -> SelfCheck:
    """The self-check of question ``key``, from its module's ``self_check()`` (built when first asked for: its
    numbers come from the kit's statistics, which need scipy)."""
    from .questions import question

    return SelfCheck(tuple(question(key).module.self_check()), interactive=interactive)

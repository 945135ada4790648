"""What a question's analysis returns: a verdict, a headline, findings, tables, figures and metrics.

One ``Result`` is rendered three ways from the same data: HTML (JupyterLab, nbconvert, the brief), plain
text (terminals, logs) and JSON (tests and tools). Every piece of text that may come from a user is escaped
in the HTML rendering; the tables are escaped by pandas.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # heavy imports stay out of `import aipm_kit`
    from matplotlib.figure import Figure

Level = Literal["go", "caution", "stop"]
FindingLevel = Literal["go", "caution", "stop", "info"]
LEVELS: tuple[Level, ...] = ("go", "caution", "stop")
NOT_ANSWERED = "Not answered"  # the one word for a question without the answers its verdict needs (no level)
NOT_YET = "Not yet"  # a question the product's stage does not reach yet: it plans instead of analysing (no level)

WITHHELD = "Your call"  # a student's copy: the kit shows the evidence, the student decides
WITHHELD_HEADLINE = "The kit's verdict is withheld in this student copy: decide from the evidence below."
_COLOURS = {"go": "#1b7f3b", "caution": "#a15c00", "stop": "#b3261e", "info": "#44546a", "none": "#6b7280"}
# JupyterLab typesets anything between two `$` as maths; MathJax skips elements of these classes (MathJax 3,
# in JupyterLab 4: mathjax_ignore; MathJax 2, in nbconvert's HTML pages: tex2jax_ignore), so the kit's HTML
# (dollar amounts, user text) shows as written. An HTML entity would not help: MathJax reads the decoded text.
NO_MATHS = "mathjax_ignore tex2jax_ignore"
_SYMBOLS = {"go": "✓", "caution": "!", "stop": "✗", "info": "i"}


@dataclass(frozen=True)
class Finding:
    """One observation of the analysis, with how much it matters."""

    level: FindingLevel
    message: str


@dataclass(frozen=True)
class Metric:
    """A named number. ``unit`` picks its display: ``"$"`` money, ``"%"`` a share in 0–1, else a count."""

    name: str
    value: float | int | None
    unit: str = ""
    key: bool = False  # one of the two or three numbers the brief shows

    def formatted(self) -> str:
        return format_number(self.value, self.unit)


def format_number(value: float | int | None, unit: str = "") -> str:
    """Format a number the way the kit shows it: ``$1.2M``, ``42.0%``, ``1,200``, ``—`` for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "$":
        sign = "-" if value < 0 else ""
        v = abs(value)
        if v >= 1e6:
            return f"{sign}${v / 1e6:,.2f}M"
        if v >= 1e4:
            return f"{sign}${v / 1e3:,.1f}k"
        return f"{sign}${v:,.0f}" if v >= 100 else f"{sign}${v:,.2f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}{(' ' + unit) if unit else ''}"
    return f"{value:,.2f}{(' ' + unit) if unit else ''}"


@dataclass
class Result:
    """The outcome of one question's ``analyze``.

    ``verdict`` is the label shown on the badge: ``go`` / ``caution`` / ``stop`` or a question-specific word
    (``AI assists``, ``Hold`` …) whose severity is ``level``.
    """

    question: str
    title: str
    verdict: str
    level: Level | None
    headline: str
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)  # caption → pandas.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)  # caption → matplotlib Figure
    metrics: list[Metric] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # heading → plain text (a memo, a datasheet …)
    data: dict[str, Any] = field(default_factory=dict)  # JSON-ready values later questions read

    # ---- building -------------------------------------------------------------------------------
    def add(self, level: FindingLevel, message: str) -> None:
        """Add a finding; it is shown as a sentence, so its first letter is capitalised here, once."""
        self.findings.append(Finding(level, message[:1].upper() + message[1:]))

    def metric(self, name: str, value: float | int | None, unit: str = "", key: bool = False) -> None:
        self.metrics.append(Metric(name, value, unit, key))

    @classmethod
    def not_answered(cls, question: str, title: str, needed: list[str] | None = None) -> Result:
        """The result of a question without the answers a verdict needs: said plainly, nothing invented.

        ``needed`` names the answers still missing (as the form labels them), when the section is half filled.
        """
        headline = "This case has no answers for this question yet."
        if needed:
            headline = f"Not answered yet: a verdict needs {_join_words(needed)}."
        result = cls(question=question, title=title, verdict=NOT_ANSWERED, level=None, headline=headline)
        if needed:
            result.data["needed"] = list(needed)
        return result

    def withheld(self) -> Result:
        """This result as a student sees it: the evidence (metrics, findings, tables, figures, notes) without
        the kit's call (no verdict, level or headline, findings without their go / caution / stop marks)."""
        import dataclasses

        return dataclasses.replace(
            self, verdict=WITHHELD, level=None, headline=WITHHELD_HEADLINE,
            findings=[Finding("info", f.message) for f in self.findings], metrics=list(self.metrics),
            tables=dict(self.tables), figures=dict(self.figures), notes=dict(self.notes),
            data={k: v for k, v in self.data.items() if k != "blocks_launch"})

    @classmethod
    def not_yet(cls, question: str, title: str, headline: str) -> Result:
        """The result of a question the case's stage does not reach yet: a plan, with no level (grey everywhere).

        A verdict about soundness would be invented before there is anything to judge (no eval set before a
        pilot, no live traffic before launch), so the question says what to prepare instead; ``data["plan"]``
        is True so the brief and the ledger can tell a plan from an analysis.
        """
        result = cls(question=question, title=title, verdict=NOT_YET, level=None, headline=headline)
        result.data["plan"] = True
        return result

    # ---- reading --------------------------------------------------------------------------------
    @property
    def answered(self) -> bool:
        return self.level is not None

    @property
    def planned(self) -> bool:
        """Whether this is a "Not yet" plan: the case's stage does not reach the question."""
        return self.verdict == NOT_YET

    def metric_value(self, name: str) -> float | int | None:
        for m in self.metrics:
            if m.name == name:
                return m.value
        raise KeyError(f"no metric named {name!r}; have {[m.name for m in self.metrics]}")

    @property
    def key_metrics(self) -> list[Metric]:
        return [m for m in self.metrics if m.key]

    # ---- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "title": self.title,
            "verdict": self.verdict,
            "level": self.level,
            "headline": self.headline,
            "findings": [{"level": f.level, "message": f.message} for f in self.findings],
            "metrics": {m.name: _json_number(m.value) for m in self.metrics},
            "key_metrics": [m.name for m in self.key_metrics],
            "tables": {name: json.loads(df.to_json(orient="records")) for name, df in self.tables.items()},
            "figures": list(self.figures),
            "notes": dict(self.notes),
            "data": self.data,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    # ---- text -----------------------------------------------------------------------------------
    def to_text(self) -> str:
        lines = [f"[{self.verdict.upper()}] {self.title}", self.headline]
        if self.metrics:
            lines.append("")
            lines += [f"  {m.name}: {m.formatted()}" for m in self.metrics]
        if self.findings:
            lines.append("")
            lines += [f"  {_SYMBOLS[f.level]} {f.message}" for f in self.findings]
        for name, df in self.tables.items():
            lines += ["", name, df.to_string(index=False)]
        for heading, text in self.notes.items():
            lines += ["", heading, text]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Result {self.question}: {self.verdict} — {self.headline}>"

    # ---- HTML -----------------------------------------------------------------------------------
    def to_html(self, figures: bool = True) -> str:
        """A self-contained HTML fragment; ``figures`` embeds the charts as PNG images."""
        parts = [self._html_head()]
        if figures:
            parts += [_figure_html(name, fig) for name, fig in self.figures.items()]
        parts.append(self._html_notes())
        return "".join(parts)

    def _html_head(self) -> str:
        e = html.escape
        parts = [
            f'<div class="aipm-result {NO_MATHS}">',
            f"<p>{badge(self.verdict, self.level)} <strong>{e(self.headline)}</strong></p>",
        ]
        if self.metrics:
            cards = "".join(
                f"<div style='border:1px solid {'#9aa0a6' if m.key else '#e0e0e0'};border-radius:6px;"
                f"padding:4px 10px;min-width:120px'><div style='font-size:0.8em;color:#5f6368'>{e(m.name)}</div>"
                f"<div style='font-size:1.15em;font-weight:{700 if m.key else 500}'>{e(m.formatted())}</div></div>"
                for m in self.metrics
            )
            parts.append(f"<div class='aipm-metrics' style='display:flex;flex-wrap:wrap;gap:6px;margin:6px 0'>"
                         f"{cards}</div>")
        if self.findings:
            items = "".join(
                f"<li style='color:{_COLOURS[f.level]}'><span>{_SYMBOLS[f.level]}</span> "
                f"<span style='color:#111'>{e(f.message)}</span></li>"
                for f in self.findings
            )
            parts.append(f"<ul class='aipm-findings' style='list-style:none;padding-left:0.5em'>{items}</ul>")
        for name, df in self.tables.items():
            whole = {c: "{:,}".format for c in df.columns if str(df[c].dtype) in ("int64", "int32", "Int64")}
            parts.append(f"<h4>{e(name)}</h4>" + df.to_html(index=False, escape=True, na_rep="—", border=0,
                                                               float_format=_cell, formatters=whole,
                                                               classes="aipm-table"))
        parts.append("</div>")
        return "".join(parts)

    def _html_notes(self) -> str:
        if not self.notes:
            return ""
        e = html.escape
        notes = "".join(f"<h4>{e(h)}</h4><pre style='white-space:pre-wrap'>{e(t)}</pre>" for h, t in self.notes.items())
        return f'<div class="aipm-result {NO_MATHS}">{notes}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def _ipython_display_(self) -> None:
        # Figures go out as separate PNG outputs: nbval compares HTML and text but not images, so the
        # stored outputs stay checkable while every chart is still visible in Lab, nbconvert and GitHub.
        from IPython.display import HTML, Image, display

        display(HTML(self._html_head()))
        for name, fig in self.figures.items():
            display(Image(data=figure_png(fig)))
        if self.notes:
            display(HTML(self._html_notes()))


def _join_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def level_colour(level: Level | None) -> str:
    """The one colour of a level (go, caution, stop; grey for None, "not answered").

    Every badge, readiness line and overview derives its colour from the level through here, never from the
    verdict's words: "No AI" with a sound plan is ``go`` and green like any other sound decision.
    """
    return _COLOURS[level or "none"]


def badge(verdict: str, level: Level | None) -> str:
    """An HTML badge: the verdict's words on its level's colour."""
    colour = level_colour(level)
    return (
        f"<span class='aipm-badge aipm-{level or 'none'}' style='background:{colour};color:#fff;"
        f"padding:2px 8px;border-radius:10px;font-weight:600;white-space:nowrap'>{html.escape(verdict)}</span>"
    )


def figure_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _figure_html(name: str, fig: Figure) -> str:
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    alt = html.escape(name, quote=True)
    return f"<figure><img alt='{alt}' src='data:image/png;base64,{data}' style='max-width:100%'/></figure>"


def _cell(value: float) -> str:
    """A table cell: 54,000 not 54000.0; 0.87 not 0.8667."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _json_number(value: float | int | None) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value

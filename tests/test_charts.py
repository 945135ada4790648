"""User text in charts is drawn as written: a `$` never starts mathtext, and bad mathtext never stops savefig.

The worked example support-triage, copied, with a candidate (question 1), a category and a slice (question 6)
and a failure mode (question 7) renamed to text matplotlib would read as broken mathtext.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from matplotlib.figure import Figure as MatplotlibFigure
from matplotlib.text import Text

from aipm_kit.case import load_case
from aipm_kit.charts import Figure

CASES = Path(__file__).resolve().parent.parent / "cases"
# Mathtext would draw $x^2$ as x² and fails on the second pair of dollars (an unclosed \frac): savefig raises.
HOSTILE = r"Refunds $x^2$ \frac{ from $\frac{$"


def _texts(fig) -> list[str]:
    """Every text in the figure, with the line breaks a chart puts in long labels undone."""
    return [" ".join(t.get_text().split()) for t in fig.findobj(Text)]


def _hostile_case(tmp_path: Path) -> Path:
    shutil.copytree(CASES / "support-triage", tmp_path / "support-triage")
    yaml = (CASES / "support-triage.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace("Ticket triage", f"'{HOSTILE} triage'").replace("category: good", f"category: '{HOSTILE}'")
    # the reviewed failure mode renamed below keeps its mapping to question 5's severity, so it stays charted
    yaml = yaml.replace("    Chat message too short to route: ", f"    '{HOSTILE} short': ")
    (tmp_path / "support-triage.yaml").write_text(yaml, encoding="utf-8")
    for name in ("eval_results.csv", "eval_baseline.csv"):
        path = tmp_path / "support-triage" / name
        text = path.read_text(encoding="utf-8").replace(",good,", f",{HOSTILE} good,").replace(",email,",
                                                                                            f",{HOSTILE} mail,")
        path.write_text(text, encoding="utf-8")
    failures = tmp_path / "support-triage" / "reviewed_failures.csv"
    failures.write_text(failures.read_text(encoding="utf-8").replace("Chat message too short to route",
                                                                     f"{HOSTILE} short"), encoding="utf-8")
    return tmp_path / "support-triage.yaml"


def test_plain_matplotlib_would_fail_on_this_text():
    # the trap: a matplotlib Figure parses the text as mathtext and savefig raises
    fig = MatplotlibFigure()
    fig.add_subplot().set_title(HOSTILE)
    with pytest.raises(ValueError):
        fig.savefig(io.BytesIO(), format="png")


def test_a_kit_figure_draws_the_same_text_as_written():
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_title(HOSTILE)
    ax.barh([HOSTILE, "plain"], [1, 2])  # category tick labels are made only while drawing
    fig.tight_layout()
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [HOSTILE, "plain"] and ax.get_title() == HOSTILE
    assert not any(t.get_parse_math() for t in fig.findobj(Text))


@pytest.mark.parametrize("question, caption, expected", [
    ("problem", "Opportunity landscape", f"{HOSTILE} triage"),
    ("evaluation", "Pass rate by category", f"{HOSTILE} good"),
    ("evaluation", "Pass rate by slice: baseline and this run", f"{HOSTILE} mail"),
    ("monitoring", "Failure modes (Pareto)", f"{HOSTILE} short"),
])
def test_question_charts_show_user_text_literally(tmp_path, question, caption, expected):
    result = load_case(_hostile_case(tmp_path)).analyze(question)
    fig = result.figures[caption]
    fig.savefig(io.BytesIO(), format="png", dpi=50, bbox_inches="tight")  # raised ValueError before
    # the label is the text as written (the slice chart adds its counts on a second line)
    # (question 1 cuts a long name on its chart at 40 characters and ends it with "…": the start is the input's)
    assert any(text == expected or text.startswith(f"{expected} −")
               or (text.endswith("…") and len(text) > 20 and expected.startswith(text[:-1])) for text in _texts(fig))
    assert not any(t.get_parse_math() for t in fig.findobj(Text))
    assert f"<Figure size" in repr(fig)  # notebooks show the same text/plain as before


def test_every_question_chart_is_made_through_the_kits_figure():
    # a chart made with matplotlib's own Figure would parse user text as mathtext again
    import re

    for module in sorted((Path(__file__).parents[1] / "aipm_kit" / "questions").glob("*.py")):
        assert not re.search(r"from matplotlib\.figure import Figure\b", module.read_text()), module.name

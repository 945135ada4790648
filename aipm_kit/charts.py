"""The one kind of figure the kit draws: text from a case file is drawn as written, never read as mathtext.

matplotlib reads text between two ``$`` signs as mathtext, so a category called "Refunds $5–$50" is drawn in
italics without its dollars, and a failure mode called "$x^2$ \\frac{" stops ``savefig`` with a parse error.
Every figure a question makes is a :class:`Figure` (``from ..charts import Figure``, where the chart is drawn),
which turns mathtext off for all its text: the texts that exist when it is laid out or drawn, and the ones
matplotlib makes on the way (tick labels appear only at draw time). Nothing else in the user's session changes:
their own figures keep mathtext.
"""

from __future__ import annotations

from matplotlib import rc_context
from matplotlib.figure import Figure as _MatplotlibFigure
from matplotlib.text import Text

_LITERAL = {"text.parse_math": False}


class Figure(_MatplotlibFigure):
    """A matplotlib ``Figure`` whose text is always literal (``parse_math=False``)."""

    def literal_text(self) -> None:
        """Turn mathtext off for every text in the figure now (titles, labels, ticks, legends, annotations)."""
        for text in self.findobj(Text):
            text.set_parse_math(False)

    def draw(self, renderer):
        with rc_context(_LITERAL):  # texts matplotlib makes while drawing (new tick labels) start literal
            self.literal_text()
            return super().draw(renderer)

    # matplotlib's own Figure.draw (called above) handles rasterization: tell matplotlib not to wrap this one
    draw._supports_rasterization = True

    def tight_layout(self, *args, **kwargs):
        with rc_context(_LITERAL):  # the layout measures text, which would parse it
            self.literal_text()
            return super().tight_layout(*args, **kwargs)

    def get_tightbbox(self, *args, **kwargs):
        with rc_context(_LITERAL):
            self.literal_text()
            return super().get_tightbbox(*args, **kwargs)

"""Deterministic synthetic data for the bundled cases and the tests.

Every generator takes a seed and returns the same rows for the same arguments, with documented effects built
in (a weak category, a regression, a drift from a given week), so the worked examples show the signals the kit
is meant to find. ``python -m aipm_kit.datasets`` rewrites the bundled cases' data files.
"""

from __future__ import annotations

"""Fixtures the worked examples' tests share: the bundled case a test module names, and its results."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def case(request):
    """The case a test module names in ``FILE`` (a path) or ``CASE`` (a bundled name), loaded once per module."""
    import aipm_kit

    return aipm_kit.load_case(getattr(request.module, "FILE", None) or request.module.CASE)


@pytest.fixture(scope="module")
def results(case):
    """Every question's result of that case, analysed once per module."""
    return case.results()

"""`aipm-kit build --scheduler ADDRESS`: the same tasks on a Dask cluster, reported exactly as a local build.

The cluster is a `distributed.LocalCluster` of one worker process on this machine.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import aipm_kit.build
from aipm_kit import kernels
from aipm_kit.build import Failure
from aipm_kit.cli import main

distributed = pytest.importorskip("distributed")

FIXTURES = Path(__file__).parent / "fixtures"
CASE = FIXTURES / "cases" / "unvalidated.yaml"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as local_cluster:
        yield local_cluster


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_build_on_dask_reports_results_and_failures_as_a_local_build(tmp_path, capsys, monkeypatch, cluster):
    # The same notebooks and expectations as tests/test_build.py's local build with a failing notebook.
    monkeypatch.setattr(aipm_kit.build, "bundled_notebooks_dir", lambda: FIXTURES / "notebooks_failing")
    out = tmp_path / "out"
    status = main(["build", str(CASE), "--out", str(out), "--scheduler", cluster.scheduler_address])
    printed = capsys.readouterr().out

    assert status == 1
    assert ("1 failure (the notebook's .html shows the error):\n  unvalidated / 02_need_ai, cell 3 "
            "('ratio = 1 / 0  # a deliberate failure'): ZeroDivisionError: division by zero") in printed
    assert _files(out) == {"build.log", "index.html", "unvalidated/01_problem.ipynb", "unvalidated/01_problem.html",
                           "unvalidated/02_need_ai.ipynb", "unvalidated/02_need_ai.html", "unvalidated/brief.html",
                           "unvalidated/brief.md", ".aipm-kit-build", "unvalidated/.aipm-kit-case.json"}
    assert "[STOP] What problem should we solve" in (out / "unvalidated" / "01_problem.ipynb").read_text()
    assert "The notebook failed in this build" in (out / "unvalidated" / "brief.html").read_text()
    log = (out / "build.log").read_text()
    assert "== unvalidated.yaml :: 01_problem.ipynb: ok" in log  # the worker wrote the same log lines
    assert "Kernel is running over TCP" in log  # and its kernels' output went there, not to the terminal

    # The worker's kernels were forked from its own zygote, which the build stopped at the end.
    client = distributed.Client(cluster.scheduler_address)
    try:
        assert list(client.run(lambda: kernels._zygote is None and not kernels._ahead).values()) == [True]
    finally:
        client.close()


@pytest.mark.slow
def test_the_report_object_is_the_same_as_locally(tmp_path, cluster):
    report = aipm_kit.build.build([CASE], tmp_path / "out", notebooks_dir=FIXTURES / "notebooks_failing",
                                  progress=False, scheduler=cluster.scheduler_address)
    assert report.notebooks_run == 2 and report.exit_code == 1
    assert report.failures == [Failure("unvalidated", "02_need_ai", "ZeroDivisionError: division by zero", 3,
                                       "ratio = 1 / 0  # a deliberate failure")]
    assert report.briefs == {"unvalidated": tmp_path / "out" / "unvalidated" / "brief.html"}

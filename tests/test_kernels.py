"""Kernels forked from the warm process: same outputs as plain papermill, nothing shared, start failures retried.

Each test that runs notebooks starts a zygote (its imports take a couple of seconds) and releases it at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from aipm_kit import kernels
from aipm_kit.build import Failure, NotebookRun, build, run_notebook
from aipm_kit.bundled import notebooks_dir
from aipm_kit.case import load_case

FIXTURES = Path(__file__).parent / "fixtures"
CASE = FIXTURES / "cases" / "unvalidated.yaml"
ISOLATION = FIXTURES / "notebooks_isolation"


@pytest.fixture
def released():
    """Whatever a test leaves running (the zygote, a kernel started ahead) is stopped after it."""
    yield
    kernels.release()


def _outputs(path: Path) -> list[list[dict]]:
    """Each code cell's outputs as a reader sees them (no execution timing, no ids)."""
    nb = nbformat.read(path, as_version=4)
    return [[{k: v for k, v in output.items() if k != "metadata"} for output in cell.outputs]
            for cell in nb.cells if cell.cell_type == "code"]


def _printed(path: Path, tag: str | None = None) -> dict:
    """The JSON the isolation notebook's first code cell after the parameters (or the tagged cell) printed."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
            and "parameters" not in c.metadata.get("tags", [])]
    cell = next(c for c in code if tag in c.metadata.get("tags", [])) if tag else code[0]
    return json.loads("".join(o["text"] for o in cell.outputs if o["output_type"] == "stream"))


def _plain_papermill(notebook: Path, output: Path, case: Path, monkeypatch) -> None:
    """The path every other tool takes: papermill starts its own kernel (with the headless switch set)."""
    import papermill

    monkeypatch.setenv("AIPM_KIT_HEADLESS", "1")
    papermill.execute_notebook(str(notebook), str(output), parameters={"case": str(case), "interactive": False},
                               kernel_name="python3", progress_bar=False, cwd=str(notebook.parent))


# ---- the provisioner's choice ------------------------------------------------------------------------------

def test_only_ipykernel_run_by_this_python_is_forked():
    import sys

    assert kernels._ipykernel_argv(["python", "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]
    assert kernels._ipykernel_argv([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]
    # another interpreter (its own packages) or another kernel is launched the usual way
    assert kernels._ipykernel_argv(["/opt/other/bin/python3.9", "-m", "ipykernel_launcher", "-f", "c"]) is None
    assert kernels._ipykernel_argv(["R", "--slave", "-e", "IRkernel::main()", "--args", "c"]) is None


# ---- same outputs, nothing shared ------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_forked_kernel_gives_the_same_outputs_as_plain_papermill(tmp_path, monkeypatch, released):
    # Question 1's real notebook: the answers table, the result, and its chart (a PNG output: byte for byte).
    case = load_case("support-triage").path
    notebook = notebooks_dir() / "01_problem.ipynb"
    run = run_notebook(case, notebook, tmp_path / "fast" / "01_problem.ipynb", log=tmp_path / "build.log")
    assert run.ok, run.error
    _plain_papermill(notebook, tmp_path / "plain.ipynb", case, monkeypatch)
    fast, plain = _outputs(run.ipynb), _outputs(tmp_path / "plain.ipynb")
    assert fast == plain
    assert any("image/png" in o.get("data", {}) for cell in fast for o in cell)  # the chart was compared too


@pytest.mark.slow
def test_no_state_leaks_between_notebooks_or_cases(tmp_path, monkeypatch, released):
    # Two cases × two notebooks, one job: all four kernels come from one zygote in turn, each started while the
    # previous notebook ran. Each notebook leaves traces (a module attribute, an environment variable, seeded
    # random generators); none may show in a later one.
    out = tmp_path / "out"
    report = build([CASE, "support-triage"], out, jobs=1, notebooks_dir=ISOLATION, progress=False)
    assert report.exit_code == 0, report.summary()
    outputs = sorted(out.glob("*/*.ipynb"))
    assert len(outputs) == 4
    states = [_printed(path) for path in outputs]
    for state in states:
        assert state["left_in_the_kit"] is None and state["left_in_the_environment"] is None
        assert state["headless"] == "1" and state["cwd"] == "notebooks_isolation" and state["main"] == "__main__"
    # nothing used an execution count or left a name before the notebook ran: as in a kernel papermill starts
    _plain_papermill(ISOLATION / "01_problem.ipynb", tmp_path / "plain.ipynb", CASE, monkeypatch)
    plain = _printed(tmp_path / "plain.ipynb")
    assert [state | {"cwd": None} for state in states] == [plain | {"cwd": None}] * 4
    draws = [_printed(path, "draws") for path in outputs]
    assert len({d["pid"] for d in draws}) == 4  # a kernel per notebook
    assert len({d["numpy"] for d in draws}) == 4 and len({d["random"] for d in draws}) == 4  # not one seed


# ---- start failures are retried, notebook failures are not -------------------------------------------------------

@pytest.mark.slow
def test_a_kernel_start_that_fails_is_retried_not_reported(tmp_path, monkeypatch, released):
    # The zygote dies just as the first kernel is asked for (as a port race or an OOM kill would end a start).
    real_fork = kernels.Zygote.fork
    calls = []

    def dying_fork(self, request):
        calls.append(request["run"])
        if len(calls) == 1:
            self.process.kill()
            self.process.wait()
        return real_fork(self, request)

    monkeypatch.setattr(kernels.Zygote, "fork", dying_fork)
    log = tmp_path / "build.log"
    run = run_notebook(CASE, FIXTURES / "notebooks_failing" / "01_problem.ipynb", tmp_path / "01_problem.ipynb",
                       log=log, ahead=False)
    assert run.ok, run.error
    assert len(calls) == 2
    assert "[aipm-kit] kernel start attempt 1 of 3 failed: KernelStartError: the kernel zygote" in log.read_text()


def test_when_no_kernel_starts_the_notebook_is_reported_without_a_cell(tmp_path, monkeypatch, released):
    def failing_fork(self, request):
        raise kernels.KernelStartError("simulated: address already in use")

    monkeypatch.setattr(kernels.Zygote, "fork", failing_fork)
    monkeypatch.setattr(kernels, "can_fork", lambda: True)
    run = run_notebook(CASE, FIXTURES / "notebooks_failing" / "01_problem.ipynb", tmp_path / "01_problem.ipynb",
                       log=tmp_path / "build.log", ahead=False)
    assert run == NotebookRun(run.notebook, None, None, run.seconds,
                              "no kernel started in 3 attempts: KernelStartError: simulated: address already in use")
    assert not list(tmp_path.glob("*.ipynb")) and not list(tmp_path.glob(".*.tmp.ipynb"))
    assert str(Failure("unvalidated", "01_problem", run.error)) == (
        "unvalidated / 01_problem: no kernel started in 3 attempts: KernelStartError: simulated: address already "
        "in use")


def test_release_stops_the_zygote_and_the_kernels_started_ahead(tmp_path, released):
    zygote = kernels.start_zygote(tmp_path / "log")
    assert zygote.alive and kernels.start_zygote() is zygote  # one per process
    kernels.release()
    assert zygote.process.poll() is not None
    assert kernels._zygote is None and not kernels._ahead


# ---- one call in a warm child ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_warm_call_returns_its_value_or_raises_its_error(tmp_path, released):
    assert kernels.call_warm("os.path:join", "a", "b", log=tmp_path / "log") == os.path.join("a", "b")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        kernels.call_warm("operator:truediv", 1, 0, log=tmp_path / "log")
    # the kit is already imported there: the brief's analyses of a case, as loaded here (an override included)
    case = load_case(CASE, overrides={"problem": {"interviews": 40}})
    summary = kernels.call_warm("aipm_kit.build:summarize_case", case, log=tmp_path / "log")
    # 2 of 40 interviewees described the problem from experience: 5%, under the case's 50% bar
    assert summary["problem"].headline.startswith("Stop: only 2 of 40 interviewees (5%)")
    assert summary["problem"].figures == {} and summary["problem"].tables == {}


def test_copies_of_the_isolation_fixture_stay_identical():
    # 02_need_ai is a copy of 01_problem so that each case runs two notebooks
    assert (ISOLATION / "01_problem.ipynb").read_text() == (ISOLATION / "02_need_ai.ipynb").read_text()
    assert sorted(p.name for p in ISOLATION.iterdir()) == ["01_problem.ipynb", "02_need_ai.ipynb"]


def test_the_client_adapts_to_an_older_kernel_protocol_with_public_names_only():
    from types import SimpleNamespace

    import jupyter_client

    # a kernel of protocol 4.1 answers: the session must adapt its messages to major version 4 (what
    # jupyter_client's own wait_for_ready does); a kernel of the client's own major version changes nothing
    kc = SimpleNamespace(session=SimpleNamespace(adapt_version=None))
    kernels._adapt_to_protocol(kc, {"content": {"protocol_version": "4.1"}})
    assert kc.session.adapt_version == 4
    same = SimpleNamespace(session=SimpleNamespace(adapt_version=None))
    kernels._adapt_to_protocol(same, {"content": {"protocol_version": jupyter_client.protocol_version}})
    assert same.session.adapt_version is None
    assert "kc._handle_kernel_info_reply" not in Path(kernels.__file__).read_text()

"""The Binder environment, rebuilt the way mybinder.org builds it (without Docker, which this machine lacks):
a fresh virtual environment from ``binder/requirements.txt`` alone, with the Python ``binder/runtime.txt``
names. JupyterLab from it must list the ipywidgets extension as enabled and run ``00_start_here`` in a real
browser without an error, and the Voila URL form of the app badge must render the app.

It takes minutes (a full install), so it runs in CI, or locally with ``AIPM_KIT_BINDER=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import in_ci, missing_tool, open_and_run_all, start_lab, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.binder]

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
INSTALL_TIMEOUT = 1800  # seconds; about two minutes with a warm pip cache here


def binder_python() -> str:
    """The interpreter runtime.txt asks for (``python-3.11`` → ``python3.11``)."""
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"binder/runtime.txt: expected 'python-X.Y', found {runtime!r}"
    found = shutil.which(f"python{match.group(1)}")
    if found is None:
        missing_tool(f"python{match.group(1)} (binder/runtime.txt) is not installed")
    return found


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory, browser) -> dict:
    if not (in_ci() or os.environ.get("AIPM_KIT_BINDER")):
        pytest.skip("rebuilds the Binder environment (minutes): runs in CI, or with AIPM_KIT_BINDER=1")
    python = binder_python()
    venv = tmp_path_factory.mktemp("binder") / "venv"
    timings = {}
    started = time.monotonic()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    # pip resolves `.` (the kit itself, last line of the file) against the current folder: the repo root,
    # as repo2docker does; no constraints file and no test extras, so only what Binder gets is there
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONSTRAINT", "VIRTUAL_ENV")}
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                              str(BINDER / "requirements.txt")], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=INSTALL_TIMEOUT)
    assert install.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{install.stderr[-4000:]}"
    timings["venv + pip install"] = time.monotonic() - started
    return {"venv": venv, "timings": timings}


def test_binder_environment_lists_the_widgets_extension_and_runs_start_here(binder_env, browser, tmp_path,
                                                                              screenshots, capsys):
    venv, timings = binder_env["venv"], binder_env["timings"]
    python = venv / "bin" / "python"
    started = time.monotonic()
    listing = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"], capture_output=True,
                             text=True, check=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)  # it prints to stderr, in colour
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ enabled\s+OK", text), text
    # the kit came from `.`, not from this checkout's editable install
    where = subprocess.run([str(python), "-c", "import aipm_kit; print(aipm_kit.__file__)"], capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(venv), where

    # the repository as Binder checks it out: notebooks/ beside the rest
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (tmp_path / "state").mkdir()
    lab = start_lab(python, root, tmp_path / "state")
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    try:
        page.set_default_timeout(60_000)
        open_and_run_all(page, lab, "00_start_here.ipynb")
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
        wait_until(lambda: prompts.count() > 0 and all(re.fullmatch(r"\[\d+\]:", t.strip())
                                                       for t in prompts.all_inner_texts()),
                   what="every code cell of 00_start_here to run")
        # every cell that shows something in the committed notebook shows something here too, and none an error
        stored = json.loads((root / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))
        showing = sum(1 for cell in stored["cells"] if cell["cell_type"] == "code" and cell.get("outputs"))
        assert showing >= 2, "00_start_here shows nothing to check"
        with_output = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-OutputArea-output"))
        wait_until(lambda: with_output.count() >= showing, what=f"{showing} code cells to show their output")
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert errors.count() == 0, errors.all_inner_texts()
        assert "Support ticket triage" in page.locator(".jp-Notebook").inner_text()
        page.screenshot(path=str(screenshots / "binder-start-here.png"))
        timings["Lab: open and run 00_start_here"] = time.monotonic() - started

        # the app badge's URL form: Voila inside the same server
        started = time.monotonic()
        page.goto(f"{lab.url}/voila/render/notebooks/app.ipynb")
        page.locator(".widget-tab .lm-TabBar-tab", has_text="Brief").wait_for()
        page.locator("h3", has_text="Question 1:").wait_for()
        page.screenshot(path=str(screenshots / "binder-voila-app.png"))
        timings["Voila URL form: the app renders"] = time.monotonic() - started
    except Exception:
        page.screenshot(path=str(screenshots / "FAILED-binder.png"))
        raise
    finally:
        page.close()
        lab.stop()
    with capsys.disabled():
        print("\nBinder check timings: " + "; ".join(f"{k} {v:.0f} s" for k, v in timings.items()))

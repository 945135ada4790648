"""The seven-question app under Voila, served the way ``aipm-kit app`` serves it (a token in the address, XSRF
checks on): switch tabs, change an answer, the Brief tab follows; close the page and its kernel is gone (voila
issue #1458 leaked one per visit: the page's shutdown request was refused for want of the ``_xsrf`` cookie)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psutil
import pytest

import aipm_kit

from aipm_kit.app import CULL_IDLE_SECONDS, FOLDER_ENV, App, case_choices, voila_argv, voila_command

from .conftest import (Server, field_input, free_port, make_workspace, server_environment, set_field,
                       wait_until)


class AppServer(Server):
    """The app as ``aipm-kit app`` runs it; its address and token read from what it prints."""

    token = ""

    @property
    def page_url(self) -> str:
        return f"{self.url}/?token={self.token}"

    def status_of(self, path: str) -> int:
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


@pytest.fixture
def voila(workspace, tmp_path) -> Iterator[AppServer]:
    """``python -m aipm_kit.app`` (what ``aipm-kit app`` runs) over the workspace's copy of the app notebook."""
    port = free_port()
    env = server_environment(tmp_path)
    env[FOLDER_ENV] = str(workspace.root / "cases")
    command = voila_command(workspace.notebooks / "app.ipynb", port=port, open_browser=False)
    server = AppServer(command + ["--Voila.port_retries=0"], f"http://127.0.0.1:{port}", "/voila/static/",
                       env, cwd=workspace.notebooks, log=tmp_path / "voila.log", any_answer=True)
    deadline = time.monotonic() + 30
    while not server.token and time.monotonic() < deadline:
        found = re.search(rf"127\.0\.0\.1:{port}/\?token=([A-Za-z0-9_-]+)", server.log_tail(200))
        server.token = found.group(1) if found else time.sleep(0.2) or ""
    assert server.token, server.log_tail()
    yield server
    server.stop()


def kernel_processes(server) -> list[psutil.Process]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [p for p in children if any("ipykernel" in part for part in p.cmdline())]


@pytest.mark.browser
def test_app_tabs_brief_and_no_kernel_left_behind(page, voila, workspace, screenshots):
    case_file = workspace.case_file
    start = aipm_kit.load_case(case_file).analyze("problem")
    # $3.00 a ticket: 40 agents × 450 tickets × $3.00 × 12 = $648,000 a year (the case says $2.60: $561,600)
    changed = aipm_kit.load_case(case_file, overrides={"problem": {"cost_per_occurrence": 3.0}}).analyze("problem")

    assert voila.status_of("/api/kernels/00000000-0000-0000-0000-000000000000") == 404  # with the token: no such
    page.goto(voila.url)  # without the token: the login page, no app
    assert page.locator("input[type=password]").count() >= 1 and not kernel_processes(voila)
    page.goto(voila.page_url)
    tabs = page.locator(".widget-tab .lm-TabBar-tab")
    form = page.locator(".widget-vbox").filter(has=page.locator("h3", has_text="Question 1:")).first
    form.wait_for()
    assert tabs.all_inner_texts() == [f"{q.number}. {label}" for q, label in zip(
        aipm_kit.QUESTIONS, ["Problem", "Need AI?", "Data", "Approach", "Experience", "Evaluation", "Monitoring"])
    ] + ["Brief"]
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    kernel = config["kernelId"]
    assert voila.status_of(f"/api/kernels/{kernel}") == 200
    assert len(kernel_processes(voila)) == 1

    brief = page.frame_locator("iframe.aipm-brief")
    tabs.filter(has_text="Brief").click()
    brief.get_by_text(start.headline).wait_for()
    page.screenshot(path=screenshots / "app-brief.png", full_page=True)

    # another question's tab builds its own form on first visit; a spinner says so meanwhile (the page is never
    # blank): a MutationObserver records it, since it is gone once the form arrives
    page.evaluate("""() => { window.aipmSpinner = '';
        new MutationObserver(() => { const s = document.querySelector('.aipm-loading');
            if (s && !window.aipmSpinner) window.aipmSpinner = s.textContent; })
          .observe(document.body, {childList: true, subtree: true}); }""")
    tabs.filter(has_text="6. Evaluation").click()
    page.locator("h3", has_text="Question 6:").wait_for()
    assert page.evaluate("window.aipmSpinner").startswith("Opening question 6: How do we know it works")
    assert page.locator(".aipm-loading").count() == 0

    tabs.filter(has_text="1. Problem").click()
    set_field(form, "Cost per occurrence", "3")
    result = page.locator(".widget-html .aipm-result").first
    wait_until(lambda: changed.headline in result.inner_text(), what="question 1's result to follow the new cost")
    page.screenshot(path=screenshots / "app-problem.png", full_page=True)

    tabs.filter(has_text="Brief").click()
    brief.get_by_text(changed.headline).wait_for()
    assert brief.get_by_text("$648.0k").count() == 1  # the brief's key metric "Annual cost of the problem"
    assert float(field_input(form, "Cost per occurrence").input_value()) == 3.0

    # closing the page shuts its kernel down: Voila's close request, XSRF-checked, gets through
    page.close(run_before_unload=True)
    wait_until(lambda: voila.status_of(f"/api/kernels/{kernel}") == 404 and not kernel_processes(voila),
               timeout=30, what="the app's kernel to shut down after the page closed")


# ---- the app's logic, without a browser ---------------------------------------------------------------------

def test_voila_runs_loopback_only_with_xsrf_on_and_culling():
    command = voila_command("app.ipynb", port=8999, open_browser=False)
    assert command[1:] == ["-m", "aipm_kit.app", "app.ipynb", "--port=8999", "--no-browser"]
    assert "--no-browser" not in voila_command("app.ipynb")
    argv = voila_argv("app.ipynb", port=8999)
    assert "--Voila.ip=127.0.0.1" in argv and "--port=8999" in argv
    assert not any("xsrf" in part for part in argv)  # voila #1458 is handled without turning the check off
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}" in argv


@pytest.fixture
def live_app(tmp_path, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS")
    workspace = make_workspace(tmp_path)
    monkeypatch.setenv(FOLDER_ENV, str(workspace.root / "cases"))
    app = App(str(workspace.case_file))
    app.widget()
    return app, workspace


def test_the_brief_follows_unsaved_answers_and_the_file_is_untouched(live_app):
    app, workspace = live_app
    before = workspace.case_file.read_bytes()
    assert list(app.forms) == ["problem"]  # only the open tab's form is built
    app.forms["problem"].editors["cost_per_occurrence"].widget.value = 3.0
    app.tabs.selected_index = len(aipm_kit.QUESTIONS)  # the Brief tab
    # 40 × 450 × $3.00 × 12 = $648,000 a year
    assert "$648,000 a year" in app.brief_area.value and "$648.0k" in app.brief_area.value
    assert workspace.case_file.read_bytes() == before


def test_a_form_opened_later_starts_from_the_other_tabs_answers(live_app):
    app, _ = live_app
    app.forms["problem"].editors["interviews"].widget.value = 20
    app.tabs.selected_index = 5  # question 6
    assert app.forms["evaluation"].case.answers("problem").interviews == 20


def test_the_picker_lists_the_learners_case_files_and_survives_a_broken_one(live_app, tmp_path):
    app, workspace = live_app
    labels = [label for label, _ in case_choices()]
    assert "support-triage (worked example)" in labels and "support-triage.yaml" in labels
    broken = workspace.root / "cases" / "broken.yaml"
    broken.write_text("problem: [1, 2\n", encoding="utf-8")
    app.open(str(broken))
    assert "not valid YAML" in app.status.value
    assert app.case.path == workspace.case_file.resolve()  # still on the case it had
    app.open("support-triage")
    assert app.picker.value == "support-triage" and app.forms.keys() == {"problem"}


def test_headless_the_app_shows_the_brief_as_markdown(tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    workspace = make_workspace(tmp_path)
    shell = InteractiveShell.instance()
    outputs = []
    shell.display_pub.publish = lambda data, **_: outputs.append(data)
    App(str(workspace.case_file))._ipython_display_()
    assert "text/markdown" in outputs[0] and "# Support ticket triage" in outputs[0]["text/markdown"]


def test_a_tab_shows_a_spinner_until_its_form_is_built(live_app):
    app, _ = live_app
    page = app._pages[2]
    shown: list[str] = []
    page.observe(lambda change: shown.append(" ".join(getattr(c, "value", type(c).__name__) for c in change["new"])),
                 names="children")
    app.tabs.selected_index = 2
    assert "aipm-loading" in shown[0] and "Opening question 3: Do we have the right data?" in shown[0]
    assert len(shown) == 2 and "aipm-loading" not in shown[1] and "data" in app.forms  # then the form


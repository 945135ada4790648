"""The seven worksheets as one app: a tab per question, a case picker, and a brief that follows the answers.

``notebooks/app.ipynb`` is one call, ``App(case)``; ``aipm-kit app`` serves that notebook with Voila on
localhost (``serve``). Each tab is the question's usual form (``aipm_kit.form``) with its live result below;
the Brief tab is the case's one-page brief (``aipm_kit.brief``) made from the answers as they stand in the
forms, saved or not. The picker offers the bundled worked examples and the learner's own case files: the
YAML files in the folder ``aipm-kit app`` was started from (and one level down, where ``aipm-kit init``
puts them).

Voila leaks one kernel per page visit unless the page's shutdown request gets through (voila issue #1458:
it is refused for want of an XSRF argument), so ``serve`` listens on 127.0.0.1 only, turns that check off,
and culls kernels left idle as a second line of defence.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundled import bundled_cases, notebooks_dir
from .case import Case, CaseError, load_case
from .questions import QUESTIONS
from .selfcheck import headless

if TYPE_CHECKING:
    import ipywidgets

    from .forms import Form

APP_NOTEBOOK = "app.ipynb"
FOLDER_ENV = "AIPM_KIT_APP_FOLDER"  # set by ``serve``: where the learner's own case files are (forms.py saves there)
CULL_IDLE_SECONDS = 600  # a kernel nobody has used for ten minutes is shut down
CULL_INTERVAL_SECONDS = 60
MAX_OWN_CASES = 100
BRIEF_HEIGHT = "920px"


# ---- the cases the picker offers -------------------------------------------------------------------------

def own_case_files(folder: str | os.PathLike | None = None) -> list[Path]:
    """The learner's case files: YAML files in ``folder`` (default: where the app was started) and one level
    below, hidden folders skipped, at most ``MAX_OWN_CASES``. Whether each is a valid case is checked on pick."""
    root = Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd())
    bundled = {path.resolve() for path in bundled_cases().values()}
    found = []
    for pattern in ("*.yaml", "*.yml", "*/*.yaml", "*/*.yml"):
        for path in sorted(root.glob(pattern)):
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts) \
                    and path.resolve() not in bundled:
                found.append(path)
    return found[:MAX_OWN_CASES]


def case_choices(folder: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """(label, case) pairs for the picker: bundled cases by name, then the learner's files by path."""
    root = Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd())
    choices = [(f"{name} (worked example)", name) for name in bundled_cases()]
    choices += [(path.relative_to(root).as_posix(), str(path)) for path in own_case_files(root)]
    return choices


# ---- the app -------------------------------------------------------------------------------------------

class App:
    """The app for one case at a time; the case picker swaps it. Headless, it shows the brief as Markdown."""

    def __init__(self, case: Case | str = "support-triage", interactive: bool = True,
                 folder: str | os.PathLike | None = None):
        self.case = case if isinstance(case, Case) else load_case(case)
        self.interactive = interactive and not headless()
        self.folder = folder
        self.forms: dict[str, Form] = {}
        self._brief_stale = True
        self._widget: ipywidgets.Widget | None = None

    # ---- the answers as they stand ---------------------------------------------------------------
    def live_case(self) -> Case:
        """The case with every opened form's current (valid) answers, saved or not."""
        case = self.case
        for key, form in self.forms.items():
            if form.answered:
                case = case.with_answers(key, form.answers)
        return case

    def brief_page(self) -> str:
        """The one-page brief (a standalone HTML page) of the answers as they stand."""
        from .brief import brief_html, case_results

        case = self.live_case()
        return brief_html(case, case_results(case))

    # ---- display ----------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        if self.interactive:
            display(self.widget())
        else:
            from .brief import brief_markdown, case_results

            case = self.live_case()
            display(Markdown("*The app's forms need a live kernel: run `aipm-kit app`. Here is the brief of "
                             "the case it opens on.*\n\n" + brief_markdown(case, case_results(case))))

    def __repr__(self) -> str:
        return f"<App for {self.case.name!r}>"

    def widget(self) -> ipywidgets.Widget:
        """The picker, a status line and the tabs (built once; a tab's form is built when first opened)."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        choices = case_choices(self.folder)
        current = self._choice_value(self.case)
        if current not in [value for _, value in choices]:
            choices.append((self.case.path.name if self.case.path else self.case.name, current))
        self._syncing = False
        self.picker = w.Dropdown(options=choices, value=current, description="Case", layout=w.Layout(width="460px"))
        self.picker.observe(lambda change: self._syncing or self.open(change["new"]), names="value")
        self.path_box = w.Text(placeholder="or type the path to a case file", continuous_update=False,
                               layout=w.Layout(width="320px"))
        self.path_box.observe(lambda change: change["new"].strip() and self.open(change["new"].strip()),
                              names="value")
        self.status = w.HTML()
        self.tabs = w.Tab()
        self._reset_tabs()
        self.tabs.observe(self._tab_changed, names="selected_index")
        self._widget = w.VBox([w.HBox([self.picker, self.path_box]), self.status, self.tabs])
        self._tab_changed()
        return self._widget

    def open(self, case: str) -> None:
        """Switch the app to another case (a bundled name or a path); a broken file leaves the current one."""
        try:
            loaded = load_case(case)
        except CaseError as exc:
            self.status.value = (f"<p style='color:#b3261e;font-weight:600;margin:2px 0'>⚠ {html.escape(str(exc))}"
                                 f"</p>{self._case_line}")
            return
        self.case, self.forms, self._brief_stale = loaded, {}, True
        value = self._choice_value(loaded)
        self._syncing = True  # show the opened case in the picker without opening it twice
        if value not in [v for _, v in self.picker.options]:
            self.picker.options = [*self.picker.options, (loaded.path.name, value)]
        self.picker.value = value
        self._syncing = False
        self._reset_tabs()
        self._tab_changed()

    @staticmethod
    def _choice_value(case: Case) -> str:
        for name, path in bundled_cases().items():
            if case.path is not None and case.path.resolve() == path.resolve():
                return name
        return str(case.path) if case.path else case.name

    def _reset_tabs(self) -> None:
        import ipywidgets as w

        from .brief import short_label

        self._pages = [w.VBox() for _ in QUESTIONS]
        self.brief_area = w.HTML()
        self._pages.append(w.VBox([self.brief_area]))
        self.tabs.children = self._pages
        self.tabs.titles = [f"{q.number}. {short_label(q)}" for q in QUESTIONS] + ["Brief"]
        self.tabs.selected_index = 0
        from .bundled import is_bundled

        if self.case.path is None:
            where = "Save has no file to write into."
        elif is_bundled(self.case.path):
            where = (f"A worked example: Save writes your answers into your own copy, "
                     f"{html.escape(self.case.slug)}-mine.yaml, in the folder the app started from.")
        else:
            where = f"Save writes into {html.escape(self.case.path.name)}."
        self._case_line = (f"<p style='margin:2px 0 6px;color:#5f6368'><b>{html.escape(self.case.name)}</b> — "
                           f"{html.escape(self.case.summary)} <br>{where}</p>")
        self.status.value = self._case_line

    def _tab_changed(self, _change: Any = None) -> None:
        index = self.tabs.selected_index
        if index is None:
            return
        if index == len(QUESTIONS):
            self.refresh_brief()
        else:
            self._build_page(index)

    def _build_page(self, index: int) -> None:
        import ipywidgets as w

        from . import form

        q = QUESTIONS[index]
        if q.key in self.forms or self._pages[index].children:
            return
        if not q.available:
            self._pages[index].children = [w.HTML(f"<p>Question {q.number} ({html.escape(q.title)}) is not in "
                                                  f"this version of the kit yet.</p>")]
            return
        # a form opened later starts from the answers given so far in the other tabs
        worksheet = form(self.live_case(), q.key)
        worksheet.result.observe(self._answers_changed, names="value")
        self.forms[q.key] = worksheet
        self._pages[index].children = [worksheet.widget(), w.HTML("<h3>The result</h3>"), worksheet.result]

    def _answers_changed(self, _change: Any = None) -> None:
        self._brief_stale = True
        if self.tabs.selected_index == len(QUESTIONS):
            self.refresh_brief()

    def refresh_brief(self) -> None:
        """Redraw the Brief tab from the answers as they stand (only when they changed since the last time)."""
        if not self._brief_stale:
            return
        page = self.brief_page()
        # an iframe keeps the brief's own page styles from restyling the app around it
        self.brief_area.value = (f"<iframe class='aipm-brief' title='One-page brief' srcdoc=\"{html.escape(page)}\" "
                                 f"style='width:100%;height:{BRIEF_HEIGHT};border:1px solid #e0e0e0'></iframe>")
        self._brief_stale = False


# ---- serving it ----------------------------------------------------------------------------------------

def voila_command(notebook: str | os.PathLike | None = None, port: int | None = None,
                  open_browser: bool = True) -> list[str]:
    """The Voila command line ``serve`` runs: localhost only, kernels shut down when a page closes, idle ones culled."""
    path = Path(notebook) if notebook is not None else notebooks_dir() / APP_NOTEBOOK
    command = [sys.executable, "-m", "voila", str(path), "--Voila.ip=127.0.0.1",
               # the page's shutdown request carries no XSRF argument (voila #1458); safe on a loopback-only server
               "--Voila.tornado_settings={'disable_check_xsrf': True}",
               f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
               f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
               "--MappingKernelManager.cull_connected=False"]
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return command


def serve(port: int | None = None, open_browser: bool = True, folder: str | os.PathLike | None = None) -> int:
    """Run the app with Voila until interrupted; returns the exit status. ``folder``: where to look for the
    learner's case files (default: the current folder)."""
    env = {k: v for k, v in os.environ.items() if k != "AIPM_KIT_HEADLESS"}
    env[FOLDER_ENV] = str(Path(folder or Path.cwd()).resolve())
    try:
        return subprocess.call(voila_command(port=port, open_browser=open_browser), env=env)
    except KeyboardInterrupt:
        return 130

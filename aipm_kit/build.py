"""The batch build: every question notebook run headlessly for every case, then a brief per case and an index.

    OUT/<case slug>/NN_<question>.ipynb and .html    each notebook, executed by papermill and exported
    OUT/<case slug>/brief.html and brief.md          the one-page brief (aipm_kit.brief)
    OUT/index.html                                   cases × questions, each badge linking to its notebook
    OUT/build.log                                    what the kernels printed (kept out of the terminal)

The unit of work is one plain function, ``run_notebook(case path, notebook path, output path)``, run in a
process pool. Every file is written under a temporary name in its final folder and renamed when complete.
One failing notebook does not stop the others: the report names its case, notebook, cell and error.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .bundled import bundled_cases, notebooks_dir as bundled_notebooks_dir
from .case import Case, CaseError, load_case, write_atomic
from .questions import QUESTIONS, Question

KERNEL = "python3"
CELL_TIMEOUT = 600  # seconds a single cell may run before the notebook counts as failed
KERNEL_START_ATTEMPTS = 2  # a kernel start can fail on a port race when many start at once (papermill #511)


# ---- what a build reports ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """One notebook that did not run through: where (case, notebook, cell) and what (the error)."""

    case: str  # the case's output folder name (its slug)
    notebook: str  # the notebook's stem, e.g. ``02_need_ai``
    error: str  # "ZeroDivisionError: division by zero"
    cell_index: int | None = None  # index of the cell in the source notebook (0-based), when a cell failed
    cell_source: str = ""  # that cell's first line

    def __str__(self) -> str:
        where = f"{self.case} / {self.notebook}"
        if self.cell_index is not None:
            where += f", cell {self.cell_index} ({self.cell_source!r})" if self.cell_source else \
                f", cell {self.cell_index}"
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of ``run_notebook``: the files it wrote and, if it failed, why."""

    notebook: Path
    ipynb: Path | None
    html: Path | None
    seconds: float
    error: str | None = None
    cell_index: int | None = None
    cell_source: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BuildReport:
    """Everything a build wrote, where the briefs are, and what failed."""

    out: Path
    written: list[Path] = field(default_factory=list)
    briefs: dict[str, Path] = field(default_factory=dict)  # case slug → brief.html
    index: Path | None = None
    log: Path | None = None
    failures: list[Failure] = field(default_factory=list)
    notebooks_run: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        """What a person reads at the end of a build: counts, where the briefs are, every failure."""
        cases = len(self.briefs)
        lines = [f"Built {cases} case{_s(cases)} in {self.seconds:.1f} s: {self.notebooks_run} notebook "
                 f"run{_s(self.notebooks_run)}, {len(self.failures)} failed.",
                 f"Wrote {len(self.written)} file{_s(len(self.written))} under {self.out}: each notebook as .ipynb "
                 f"and .html, a brief per case as .html and .md, and the index."]
        lines.append("Briefs:")
        lines += [f"  {path}" for path in self.briefs.values()]
        if self.index:
            lines.append(f"Index:  {self.index}")
        if self.log:
            lines.append(f"Kernel log: {self.log}")
        if self.failures:
            n = len(self.failures)
            lines.append(f"{n} failure{_s(n)} ({'the' if n == 1 else 'each'} notebook's .html shows the error):")
            lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# ---- what to build ----------------------------------------------------------------------------------

def question_notebooks(folder: str | os.PathLike | None = None) -> list[tuple[Question, Path]]:
    """The question notebooks that exist in ``folder`` (default: the kit's), in question order."""
    folder = Path(folder) if folder is not None else bundled_notebooks_dir()
    return [(q, folder / f"{q.notebook}.ipynb") for q in QUESTIONS if (folder / f"{q.notebook}.ipynb").is_file()]


def case_folder(out: Path, case: Case, taken: set[str]) -> Path:
    """The case's output folder: its slug (made unique in this build), and never anywhere but inside ``out``."""
    slug, n = case.slug, 2
    while slug in taken:
        slug, n = f"{case.slug}-{n}", n + 1
    taken.add(slug)
    folder = (out / slug).resolve()
    if folder.parent != out.resolve():
        raise CaseError(f"the output folder name {slug!r} is not a plain folder name", case.path)
    return folder


# ---- the unit of work ---------------------------------------------------------------------------------

def run_notebook(case_path: str | os.PathLike, notebook: str | os.PathLike, output: str | os.PathLike) -> NotebookRun:
    """Execute ``notebook`` for the case at ``case_path`` into ``output`` (.ipynb) and its .html beside it.

    The parameters injected are ``case`` (the absolute case path) and ``interactive=False``. A notebook that
    fails still gets both files (papermill marks the failing cell at the top), and the run says which cell.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook).resolve(), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    token = uuid.uuid4().hex[:8]
    tmp_ipynb = output.with_name(f".{output.stem}.{token}.tmp.ipynb")
    error, cell_index, cell_source = None, None, ""
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(
                str(notebook), str(tmp_ipynb),
                parameters={"case": str(Path(case_path).resolve()), "interactive": False},
                kernel_name=KERNEL, progress_bar=False, log_output=False, cwd=str(notebook.parent),
                execution_timeout=CELL_TIMEOUT,
            )
            error = None
            break
        except PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}" if exc.evalue else exc.ename
            cell_index, cell_source = _source_cell(notebook, exc.source, exc.cell_index)
            break  # the notebook's own error: running it again gives the same
        except Exception as exc:  # the kernel did not start or died: retry once, then report
            error = f"{type(exc).__name__}: {exc}"
            print(f"{notebook.name}: attempt {attempt} failed: {error}", file=sys.stderr, flush=True)
            tmp_ipynb.unlink(missing_ok=True)
    ipynb = html = None
    try:
        if tmp_ipynb.exists():
            html = output.with_suffix(".html")
            write_atomic(html, _notebook_html(tmp_ipynb, title=output.stem))
            os.replace(tmp_ipynb, output)
            ipynb = output
    except Exception as exc:
        error = error or f"exporting HTML failed: {type(exc).__name__}: {exc}"
        html = None
    finally:
        tmp_ipynb.unlink(missing_ok=True)
    return NotebookRun(notebook, ipynb, html, time.perf_counter() - started, error, cell_index, cell_source)


def _run_logged(case_path: Path, notebook: Path, output: Path) -> NotebookRun:
    """``run_notebook`` in a pool worker, with a header in the log so each kernel's noise can be traced."""
    print(f"== {Path(case_path).name} :: {Path(notebook).name}", file=sys.stderr, flush=True)
    run = run_notebook(case_path, notebook, output)
    print(f"== {Path(case_path).name} :: {Path(notebook).name}: {run.error or 'ok'} ({run.seconds:.1f} s)",
          file=sys.stderr, flush=True)
    return run


def _source_cell(notebook: Path, source: str, executed_index: int) -> tuple[int, str]:
    """The failing cell's index in the source notebook (papermill counts its injected cell) and first line."""
    import nbformat

    first_line = next((ln for ln in source.splitlines() if ln.strip()), "")
    cells = nbformat.read(notebook, as_version=4).cells
    for index, cell in enumerate(cells):
        if cell.source == source:
            return index, first_line
    return executed_index, first_line


def _notebook_html(path: Path, title: str) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def _start_worker(log: str) -> None:
    """In each worker process: kernels inherit the headless switch, and their stderr noise goes to the log."""
    os.environ["AIPM_KIT_HEADLESS"] = "1"
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


# ---- the build ----------------------------------------------------------------------------------------

def build(cases: Iterable[str | os.PathLike | Case] | None, out: str | os.PathLike, jobs: int | None = None,
          notebooks_dir: str | os.PathLike | None = None, progress: bool | None = None) -> BuildReport:
    """Run every question notebook for every case into ``out``; write the briefs and the index.

    ``cases`` are names of bundled cases, paths, or loaded cases (none: every bundled case). ``jobs`` notebooks
    run at once (default: the number of cores). ``progress`` shows a bar (default: when stderr is a terminal).
    A case that does not validate raises ``CaseError`` before anything runs.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from .brief import IndexEntry, brief_html, brief_markdown, case_results, index_html

    started = time.perf_counter()
    loaded = [c if isinstance(c, Case) else load_case(c) for c in (cases or bundled_cases().values())]
    for case in loaded:
        if case.path is None:
            raise CaseError("a case built with papermill needs a file: save it first", None)
    out = Path(out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    folders = [case_folder(out, case, taken) for case in loaded]
    notebooks = question_notebooks(notebooks_dir)
    report = BuildReport(out=out, log=out / "build.log")
    report.log.write_text("", encoding="utf-8")

    tasks = [(case, folder, q, nb) for case, folder in zip(loaded, folders) for q, nb in notebooks]
    report.notebooks_run = len(tasks)
    runs: dict[int, NotebookRun] = {}
    if tasks:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
        show = sys.stderr.isatty() if progress is None else progress
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="notebook", disable=not show, file=sys.stderr, desc="aipm-kit build")
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                 initargs=(str(report.log),)) as pool:
            futures = {pool.submit(_run_logged, case.path, nb, folder / f"{q.notebook}.ipynb"): (i, q, nb)
                       for i, (case, folder, q, nb) in enumerate(tasks)}
            for future in as_completed(futures):
                i, q, nb = futures[future]
                try:
                    run = future.result()
                except Exception as exc:  # the worker process itself died
                    run = NotebookRun(nb, None, None, 0.0, f"{type(exc).__name__}: {exc}")
                runs[i] = run
                bar.set_postfix_str(f"{tasks[i][1].name}/{q.notebook}", refresh=False)
                bar.update()
        bar.close()

    entries = []
    for case, folder in zip(loaded, folders):
        links, failed = {}, set()
        for i, (_, task_folder, q, _) in enumerate(tasks):
            if task_folder != folder:
                continue
            run = runs[i]
            report.written += [p for p in (run.ipynb, run.html) if p is not None]
            if run.html is not None:
                links[q.key] = run.html.name
            if not run.ok:
                failed.add(q.key)
                report.failures.append(Failure(folder.name, q.notebook, run.error, run.cell_index, run.cell_source))
        results = case_results(case)
        for name, render in (("brief.html", brief_html), ("brief.md", brief_markdown)):
            write_atomic(folder / name, render(case, results, links, failed))
            report.written.append(folder / name)
        report.briefs[folder.name] = folder / "brief.html"
        entries.append(IndexEntry(case, folder.name, results, links, failed))

    report.index = out / "index.html"
    write_atomic(report.index, index_html(entries))
    report.written.append(report.index)
    report.seconds = time.perf_counter() - started
    return report

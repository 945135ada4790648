"""The kit works when installed from a wheel: notebooks and cases ship inside the package; imports stay light."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (path,) = out.glob("aipm_kit-*.whl")
    return path


def test_the_wheel_carries_the_notebooks_and_the_bundled_cases(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in ROOT.glob("notebooks/*.ipynb"):
        assert f"aipm_kit/_bundled/notebooks/{notebook.name}" in names
    for case in ROOT.glob("cases/**/*"):
        if case.is_file():
            assert f"aipm_kit/_bundled/{case.relative_to(ROOT).as_posix()}" in names


def test_from_the_unpacked_wheel_the_kit_finds_its_own_copies(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import json, aipm_kit, aipm_kit.bundled as b;"
        "c = aipm_kit.load_case('support-triage');"
        "print(json.dumps([str(b.notebooks_dir()), str(c.path), c.analyze('problem').verdict]))"
    )
    # run from an empty folder with only the unpacked wheel on the path, so the checkout cannot be found
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "AIPM_KIT_HEADLESS": "1"}
    output = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True).stdout
    notebooks, case_path, verdict = json.loads(output)
    assert Path(notebooks) == site / "aipm_kit" / "_bundled" / "notebooks"
    assert Path(case_path) == site / "aipm_kit" / "_bundled" / "cases" / "support-triage.yaml"
    assert verdict == "Go"


def _loaded(code: str) -> list[str]:
    script = (f"import sys; {code};"
              "print(','.join(sorted(m for m in ('matplotlib', 'papermill', 'ipywidgets', 'pandas', 'nbconvert')"
              " if m in sys.modules)))")
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return [m for m in output.strip().split(",") if m]


def test_importing_the_kit_loads_no_heavy_library():
    assert _loaded("import aipm_kit") == []


def test_loading_every_question_of_a_case_draws_nothing_and_runs_no_notebook():
    # the question modules may use pandas; charts, widgets and papermill wait until they are needed
    loaded = _loaded("import aipm_kit; aipm_kit.load_case('support-triage')")
    assert not {"matplotlib", "papermill", "ipywidgets", "nbconvert"} & set(loaded)


def test_the_readme_binder_links_open_the_repository_pyproject_names():
    import re
    import tomllib

    # one place to change: pyproject.toml's [project.urls] Repository; binder/set_repository.py rewrites the README
    repository = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    owner_name = repository.removeprefix("https://github.com/").removesuffix(".git").strip("/")
    links = re.findall(r"https://mybinder\.org/v2/gh/([^/\s)`]+/[^/\s)`]+)/", (ROOT / "README.md").read_text())
    assert len(links) == 4 and set(links) == {owner_name}, "run: python binder/set_repository.py"


# ---- dependencies by role ----------------------------------------------------------------------------------

JUPYTER = ("jupyterlab", "jupyter_client", "jupyter_core", "jupyter_server", "ipywidgets", "ipykernel", "IPython",
           "papermill", "nbconvert", "nbclient", "nbformat", "voila", "yaml")


def test_importing_the_kit_loads_no_jupyter():
    script = (f"import sys, aipm_kit, aipm_kit.importers; print(sorted({{m.split('.')[0] for m in sys.modules}} & "
              f"{set(JUPYTER) | {'matplotlib'}!r}))")
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    assert output == "[]\n"


def test_the_core_works_with_every_jupyter_library_missing(tmp_path):
    # a finder that refuses the Jupyter family, as on a machine with the core install only
    script = f"""
import importlib.abc, sys
class NoJupyter(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in {JUPYTER!r}:
            raise ImportError('not installed: ' + name)
sys.meta_path.insert(0, NoJupyter())
import aipm_kit
from aipm_kit.brief import brief_markdown
from aipm_kit.cli import main
case = aipm_kit.load_case('support-triage')
verdicts = [case.analyze(q.key).verdict for q in aipm_kit.QUESTIONS if case.is_answered(q.key)]
assert brief_markdown(case).startswith('# Support ticket triage')
assert main(['import', 'inspect', {str(ROOT / 'tests/fixtures/importers/inspect/triage.json')!r},
             '--out', {str(tmp_path / 'eval.csv')!r}]) == 0
assert main(['build', 'support-triage', '--out', {str(tmp_path / 'build')!r}]) == 2  # says which extra it needs
print(len(verdicts))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={
        **__import__("os").environ, "AIPM_KIT_HEADLESS": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "7"
    assert "pip install 'aipm-kit[build]'" in done.stderr


def test_the_core_names_no_jupyter_and_the_readme_installs_everything():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = lambda requirement: re.split(r"[<>=\[ ;]", requirement)[0].lower()  # noqa: E731
    core = {name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert not core & {"jupyterlab", "ipywidgets", "voila", "papermill", "nbconvert", "ipykernel"}
    assert extras["all"] == ["aipm-kit[jupyter,build,db,importers]"] and "aipm-kit[all]" in extras["test"]
    # the README's two commands, and CI's, install the full kit
    readme = (ROOT / "README.md").read_text()
    assert "pip install -c constraints.txt -e '.[all]' && .venv/bin/aipm-kit build" in readme
    assert "pip install -q -c constraints.txt -e '.[test]' && .venv/bin/pytest" in readme
    assert "pip install -q -c constraints.txt -e '.[test]' && .venv/bin/pytest" in (ROOT / ".ci" / "run").read_text()
    # every library an extra names is pinned, so a fresh machine gets the versions the notebooks were made with
    pinned = {line.split("==")[0].lower().replace("_", "-")
              for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    for extra in ("jupyter", "build", "db", "importers"):
        for requirement in extras[extra]:
            assert name(requirement).replace("_", "-") in pinned, requirement

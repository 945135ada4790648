"""``aipm-kit list`` remembers verdicts: keyed on the case file, its data files and the kit's code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import aipm_kit.verdict_cache as verdict_cache
from aipm_kit.brief import case_results, decision
from aipm_kit.bundled import bundled_cases
from aipm_kit.case import load_case
from aipm_kit.parameters import notebook_parameters


@pytest.fixture()
def triage(tmp_path) -> Path:
    """A copy of the support-triage case and its data, so its files can be changed."""
    source = bundled_cases()["support-triage"]
    shutil.copy(source, tmp_path / source.name)
    shutil.copytree(source.parent / source.stem, tmp_path / source.stem)
    return tmp_path / source.name


def test_the_cached_verdicts_are_the_analysed_ones_and_the_second_run_analyses_nothing(triage, tmp_path,
                                                                                       monkeypatch):
    cache = tmp_path / "cache"
    first = verdict_cache.case_verdicts(load_case(triage), cache)
    results = case_results(load_case(triage))
    assert [(v.verdict, v.level) for v in first.verdicts] == [(r.verdict, r.level) for r in results.values()]
    assert first.readiness == decision(load_case(triage), results).status  # the brief's words, not a level

    def no_analysis(case):
        raise AssertionError("analysed again although nothing changed")

    monkeypatch.setattr(verdict_cache, "_analyse", no_analysis)
    assert verdict_cache.case_verdicts(load_case(triage), cache) == first


def test_a_changed_data_file_or_case_file_is_analysed_again(triage, tmp_path):
    case = load_case(triage)
    before = verdict_cache.inputs_digest(case)
    assert triage.parent / "support-triage" / "eval_results.csv" in verdict_cache.data_files(case)
    with open(triage.parent / "support-triage" / "eval_results.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    assert verdict_cache.inputs_digest(load_case(triage)) != before
    after_data = verdict_cache.inputs_digest(load_case(triage))
    triage.write_text(triage.read_text(encoding="utf-8").replace("Support ticket triage", "Ticket triage"),
                      encoding="utf-8")
    assert verdict_cache.inputs_digest(load_case(triage)) != after_data


def test_an_unwritable_cache_is_not_an_error(triage, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    assert verdict_cache.case_verdicts(load_case(triage), blocker / "cache").verdicts


def test_the_parameters_cell_is_read_as_papermill_reads_it():
    import papermill

    for notebook in sorted((Path(__file__).parents[1] / "notebooks").glob("0[1-7]_*.ipynb")):
        ours = [(p.name, p.default, p.help) for p in notebook_parameters(notebook)]
        theirs = [(p["name"], p["default"], p["help"]) for p in papermill.inspect_notebook(str(notebook)).values()]
        assert ours == theirs, notebook.name


def test_the_readme_table_of_verdicts_is_what_the_cases_say():
    # the README's table is copied from `aipm-kit list`: this keeps the copy honest
    import re

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    header = next(line for line in readme.splitlines() if line.startswith("| question | "))
    names = [cell.strip() for cell in header.strip("|").split("|")][1:]
    rows = [line for line in readme.splitlines() if re.match(r"\| (\d\. |decision )", line)]
    table = [[cell.strip() for cell in row.strip("|").split("|")][1:] for row in rows]
    for column, name in enumerate(names):
        case = load_case(bundled_cases()[name])
        results = case_results(case)
        expected = [r.verdict for r in results.values()] + [decision(case, results).status]
        assert [row[column] for row in table] == expected, name


def test_list_reads_nothing_but_hashes_when_no_file_changed(triage, tmp_path, monkeypatch):
    import aipm_kit.case

    cache = tmp_path / "cache"
    first = verdict_cache.listing(triage, cache)
    assert first.name == load_case(triage).name and first.verdicts.verdicts

    def no_parsing(*args, **kwargs):
        raise AssertionError("the case file was parsed although nothing changed")

    monkeypatch.setattr(aipm_kit.case, "load_case", no_parsing)
    assert verdict_cache.listing(triage, cache) == first
    # a data file the case names changes: the case is loaded and analysed again
    with open(triage.parent / "support-triage" / "reviewed_failures.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    with pytest.raises(AssertionError, match="parsed"):
        verdict_cache.listing(triage, cache)

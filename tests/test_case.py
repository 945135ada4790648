"""Case files: loading, validation errors that say what to fix, saving with comments, data paths."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from pydantic import BaseModel, ConfigDict

import aipm_kit
from aipm_kit.case import CaseError, DataFile, load_case, slugify, template_case, write_atomic
from aipm_kit.bundled import bundled_cases


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bundled_case_loads_by_short_name_and_by_path():
    by_name = load_case("support-triage")
    by_path = load_case(bundled_cases()["support-triage"])
    assert by_name.path == by_path.path
    assert by_name.name == "Support ticket triage"
    assert by_name.answers("problem").interviews == 15


def test_an_unknown_case_name_lists_the_bundled_ones():
    with pytest.raises(CaseError, match="support-triage"):
        load_case("support-triag")


def test_save_then_load_round_trips_every_section(tmp_path):
    case = load_case("support-triage")
    saved = case.save(tmp_path / "copy.yaml")
    again = load_case(saved)
    assert again.name == case.name and again.summary == case.summary
    assert set(again.sections) == set(case.sections)
    for key, answers in case.sections.items():
        assert again.sections[key] == answers, key
    # saving the reloaded copy gives the same text: the writer is stable
    assert again.to_yaml() == case.to_yaml()


def test_the_saved_file_explains_every_field_in_a_comment(tmp_path):
    text = load_case("support-triage").save(tmp_path / "copy.yaml").read_text(encoding="utf-8")
    model = aipm_kit.question("problem").answers_model
    for name, info in model.model_fields.items():
        first_words = " ".join(info.description.split()[:4])
        assert f"# {first_words}" in text, name
    assert "  interviews: 15\n" in text
    assert "reach: 54000\n" in text  # a whole number is written as one, not 54000.0


def test_a_typo_in_a_section_name_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "name: x\nprobelm:\n  interviews: 3\n")
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert "unknown section 'probelm'" in str(info.value)
    assert "did you mean 'problem'?" in str(info.value)
    assert str(path) in str(info.value)


def test_a_typo_in_a_field_name_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "name: x\nproblem:\n  interviws: 3\n")
    with pytest.raises(CaseError) as info:
        load_case(path)
    error = info.value
    assert (error.section, error.field) == ("problem", "interviws")
    assert "did you mean 'interviews'?" in str(error)


def test_a_typo_inside_a_table_row_names_the_row_and_suggests(tmp_path):
    path = write(tmp_path, "name: x\nproblem:\n  candidates:\n    - {name: a, reech: 10}\n")
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert info.value.field == "candidates.0.reech"
    assert "did you mean 'reach'?" in str(info.value)


def test_a_wrong_type_names_the_field_what_was_expected_and_what_was_found(tmp_path):
    path = write(tmp_path, "name: x\nproblem:\n  interviews: many\n")
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(f"{path}: problem.interviews: ")
    assert "valid integer" in message and "'many'" in message


def test_several_errors_are_listed_together(tmp_path):
    path = write(tmp_path, "name: x\nproblem:\n  interviews: -1\n  validation_bar: 2\n")
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert "2 fields to fix" in str(info.value)
    assert "problem.interviews" in str(info.value) and "problem.validation_bar" in str(info.value)


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"# only a comment\n\n", "empty"),
    (b"- a\n- b\n", "found a list"),
    (b"just text\n", "found a string"),
    ("name: caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    (b"name: [unclosed\n", "not valid YAML: line"),
    (b"name: x\nproblem: 3\n", "problem: expected a mapping of fields, found a number"),
    (b"name: [1, 2]\n", "name: expected text, found a list"),
])
def test_unusable_files_get_a_clear_error(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(CaseError, match=expected):
        load_case(path)


def test_yaml_aliases_are_refused_before_they_can_balloon(tmp_path):
    # the "billion laughs": nine levels of nine aliases would expand to 9^9 strings
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(CaseError, match=r"anchors \(&a0\) and aliases are not allowed") as info:
        load_case(path)
    assert info.value.section == "a0"


def test_an_oversized_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: x\nsummary: " + "y" * 2_100_000 + "\n", encoding="utf-8")
    with pytest.raises(CaseError, match="at most 2,000,000"):
        load_case(path)


def test_overrides_replace_fields_of_one_question():
    case = load_case("support-triage", overrides={"problem": {"interviews": 20, "described_from_behaviour": 18}})
    assert case.answers("problem").interviews == 20
    assert case.answers("problem").users_affected == 40  # untouched fields stay


def test_overrides_are_validated_like_the_file():
    with pytest.raises(CaseError) as info:
        load_case("support-triage", overrides={"problem": {"interviews": -3}})
    assert (info.value.section, info.value.field) == ("problem", "interviews")
    with pytest.raises(CaseError, match="did you mean 'problem'"):
        load_case("support-triage", overrides={"problme": {"interviews": 3}})


def test_a_missing_section_is_not_answered_and_nothing_is_invented(tmp_path):
    case = load_case(write(tmp_path, "name: Empty\nsummary: nothing yet\n"))
    assert case.answers("problem") is None
    result = case.analyze("problem")
    assert result.verdict == "not answered" and result.level is None and result.metrics == []


class _WithData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sample: Optional[DataFile] = None


def test_data_files_resolve_relative_to_the_case_file_and_are_written_back_relative(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample.csv").write_text("a\n1\n")
    answers = _WithData.model_validate({"sample": "data/sample.csv"}, context={"base_dir": tmp_path})
    assert answers.sample == (tmp_path / "data" / "sample.csv").resolve()
    dumped = answers.model_dump(mode="json", context={"base_dir": tmp_path})
    assert dumped == {"sample": "data/sample.csv"}


def test_a_data_file_that_does_not_exist_is_a_validation_error(tmp_path):
    with pytest.raises(ValueError, match="file not found: missing.csv"):
        _WithData.model_validate({"sample": "missing.csv"}, context={"base_dir": tmp_path})


def test_the_template_is_a_valid_case_with_every_field_commented(tmp_path):
    path = write(tmp_path, template_case("My product"))
    case = load_case(path)
    assert case.name == "My product"
    for q in aipm_kit.QUESTIONS:
        if q.available:
            assert q.key in case.sections
            assert f"# Question {q.number}: {q.title}" in path.read_text(encoding="utf-8")
            # a blank worksheet is not an answer: nothing is analysed until the learner fills it in
            assert not case.is_answered(q.key)
            assert case.analyze(q.key).verdict == "not answered"


@pytest.mark.parametrize("text, slug", [
    ("Support ticket triage", "support-ticket-triage"),
    ("../../etc/passwd", "etc-passwd"),
    ("..", "case"),
    ("", "case"),
    ("<script>alert(1)</script>", "script-alert-1-script"),
])
def test_slugs_are_safe_folder_names(text, slug):
    assert slugify(text) == slug


def test_write_atomic_leaves_no_temporary_file_and_keeps_the_old_content_on_failure(tmp_path):
    path = tmp_path / "case.yaml"
    write_atomic(path, "name: first\n")

    class Boom:
        def __str__(self):
            raise RuntimeError("disk full")

    with pytest.raises(TypeError):
        write_atomic(path, Boom())  # the write fails half-way
    assert path.read_text() == "name: first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]

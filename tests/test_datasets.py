"""The bundled data files are exactly what the seeded generators write: anyone can regenerate them."""

from __future__ import annotations

from aipm_kit.bundled import cases_dir
from aipm_kit.datasets import BUNDLED_CASE_WRITERS, main

# cases whose data another generator writes, each checked byte for byte by its own test
OTHER_WRITERS = {"flaw-hunt": "aipm_kit.synth_flaw (tests/test_example_flaw_hunt.py)"}


def test_regenerating_every_bundled_case_gives_the_committed_files_byte_for_byte(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(cases_dir()).as_posix() for p in cases_dir().glob("*/*")
                     if p.is_file() and p.parent.name not in OTHER_WRITERS)
    assert written == bundled
    for name in written:
        assert (tmp_path / name).read_bytes() == (cases_dir() / name).read_bytes(), name
    assert capsys.readouterr().out == f"Wrote {len(written)} data files for {len(BUNDLED_CASE_WRITERS)} cases.\n"


def test_every_bundled_case_has_a_writer():
    assert sorted(BUNDLED_CASE_WRITERS) == sorted(p.stem for p in cases_dir().glob("*.yaml")
                                                  if p.stem not in OTHER_WRITERS)


def test_each_worked_example_keeps_its_data_small():
    for folder in (p for p in cases_dir().iterdir() if p.is_dir()):
        assert sum(f.stat().st_size for f in folder.iterdir()) < 2_000_000, folder.name

"""The bundled data files are exactly what the specs and the seeded generators write: anyone can regenerate them,
and a classroom variant is the same story drawn with another seed."""

from __future__ import annotations

import pandas as pd

from aipm_kit import synth
from aipm_kit.bundled import cases_dir


def _spec_folders() -> list[str]:
    return sorted(p.name for p in cases_dir().iterdir() if p.is_dir())


def test_regenerating_every_bundled_case_gives_the_committed_files_byte_for_byte(tmp_path, capsys):
    assert synth.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(cases_dir()).as_posix() for p in cases_dir().glob("*/*") if p.is_file())
    assert written == bundled
    for name in written:
        assert (tmp_path / name).read_bytes() == (cases_dir() / name).read_bytes(), name
    assert capsys.readouterr().out == f"Wrote {len(written)} data files for {len(synth.SPECS)} cases.\n"


def test_every_bundled_case_with_a_data_folder_has_a_spec():
    assert sorted(synth.SPECS) == _spec_folders()


def test_each_worked_example_keeps_its_data_small():
    for folder in (p for p in cases_dir().iterdir() if p.is_dir()):
        assert sum(f.stat().st_size for f in folder.iterdir()) < 2_000_000, folder.name


def test_another_seed_tells_the_same_story_with_other_rows(tmp_path):
    spec = synth.bundled_spec("support-triage")
    synth.write_case_data(spec, tmp_path / "a", seed=1)
    synth.write_case_data(spec, tmp_path / "b", seed=1)
    synth.write_case_data(spec, tmp_path / "c", seed=2)
    same = (tmp_path / "a" / "eval_results.csv").read_bytes() == (tmp_path / "b" / "eval_results.csv").read_bytes()
    assert same
    one, two = (pd.read_csv(tmp_path / x / "eval_results.csv") for x in "ac")
    assert not one["input"].equals(two["input"])
    # the spec fixes the cases per category (good 400, bad 120, edge 160, adversarial 120) whatever the seed
    counts = {"good": 400, "bad": 120, "edge": 160, "adversarial": 120}
    assert one["category"].value_counts().to_dict() == two["category"].value_counts().to_dict() == counts
    # and the failures as exact counts before the email regression: edge 160 × (1 − 0.72) = 44.8 → 45 fail
    for frame in (one, two):
        no_email = frame[frame["slice"] != "email"]
        assert (~frame.loc[frame["category"] == "edge", "passed"]).sum() >= 45
        assert len(no_email) > 0


def test_a_spec_can_plant_duplicate_inputs_for_a_find_the_flaw_case():
    import numpy as np

    from aipm_kit.synth import generators

    spec = {"id_prefix": "X-", "categories": {"good": (200, 0.9, 0.9)}, "labels": {"a": 1, "b": 1},
            "texts": {"good": ["ticket {n}"]}, "fill": {"n": [str(i) for i in range(1000)]}}
    distinct, _ = generators.eval_runs(np.random.default_rng(0), spec)
    planted, _ = generators.eval_runs(np.random.default_rng(0), {**spec, "duplicates": 0.5})
    assert distinct["input"].nunique() == 200  # 1,000 texts to draw from: the retries find a new one every time
    assert planted["input"].nunique() < 0.6 * 200  # about half the rows repeat an earlier case
    # exact counts: 200 × (1 − 0.9) = 20 failures
    assert (~distinct["passed"]).sum() == 20


def test_a_spec_can_paste_a_few_inputs_again_and_again_and_keep_a_regression_to_some_categories():
    import numpy as np

    from aipm_kit.synth import generators

    spec = {"id_prefix": "X-", "categories": {"good": (200, 1.0, 1.0), "pushy": (50, 1.0, 1.0)},
            "labels": {"a": 1, "b": 1},
            "texts": {"good": ["ticket {n}"], "pushy": {"a": ["pushy {n}"], "b": ["pushy {n}"]}},
            "fill": {"n": [str(i) for i in range(1000)]}, "slices": {"s": {"x": 1}}, "distinct": {"pushy": 5},
            "regression": {"column": "s", "value": "x", "share": 1.0, "categories": ["good"]}}
    run, _ = generators.eval_runs(np.random.default_rng(0), spec)
    good, pushy = run[run["category"] == "good"], run[run["category"] == "pushy"]
    assert (good["input"].nunique(), pushy["input"].nunique(), len(pushy)) == (200, 5, 50)
    # a repeated input keeps its expected value: five inputs, each with one label
    assert (pushy.groupby("input")["expected"].nunique() == 1).all()
    # every row is in slice x and both runs pass everything, so the regression (share 1.0) fails all 200 good
    # rows and none of the 50 pushy ones it is kept from
    assert (int(good["passed"].sum()), int(pushy["passed"].sum())) == (0, 50)

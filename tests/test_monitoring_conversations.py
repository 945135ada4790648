"""Question 7 on a chat product's log: rates per conversation beside rates per turn, and a review sample of
whole conversations. Every count is worked by hand from the small log below."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aipm_kit.questions.monitoring import Answers, analyze, review_sample

# (conversation, feedback of each turn): week 1 from Monday 1 Sep 2025, week 2 from Monday 8 Sep
WEEK_1 = {"C1": ["ok", "negative", "ok"], "C2": ["ok", "ok"], "C3": ["negative"], "C4": ["", ""]}
WEEK_2 = {"C5": ["negative", "negative", "ok", "ok"], "C6": ["ok", "ok"], "C7": ["ok", "negative"],
          "C8": ["ok"], "C9": ["ok"]}
# week 1: 8 turns, 2 negative (25%); 4 conversations, C1 and C3 failed (2 of 4, 50%)
# week 2: 10 turns, 3 negative (30%); 5 conversations, C5 and C7 failed (2 of 5, 40%)


def chat_log() -> pd.DataFrame:
    rows = []
    for week, talks in ((0, WEEK_1), (1, WEEK_2)):
        start = pd.Timestamp("2025-09-01") + pd.Timedelta(weeks=week)
        for c, (name, turns) in enumerate(talks.items()):
            for t, feedback in enumerate(turns):
                rows.append({"timestamp": (start + pd.Timedelta(hours=c, minutes=t)).isoformat(),
                             "id": f"{name}-{t}", "session": name, "segment": "chat",
                             "input": f"{name} turn {t}", "output": "reply", "confidence": 0.9, "feedback": feedback})
    return pd.DataFrame(rows)


def answers(folder: Path, name: str = "chat.csv", **changes) -> Answers:
    values = {"log": name, "log_columns": {"conversation_id": "session"}, "reference_weeks": 1,
              "current_weeks": 1, "review_budget": 2, "sampling": "random", **changes}
    return Answers.model_validate(values, context={"base_dir": folder})


@pytest.fixture
def folder(tmp_path) -> Path:
    chat_log().to_csv(tmp_path / "chat.csv", index=False)
    return tmp_path


def test_rates_per_conversation_and_per_turn(folder):
    result = analyze(answers(folder))
    weeks = result.data["conversations"]
    assert [(w["turns"], w["negative_turns"], w["conversations"], w["failed_conversations"]) for w in weeks] == [
        (8, 2, 4, 2), (10, 3, 5, 2)]
    assert [w["rate"] for w in weeks] == [pytest.approx(0.5), pytest.approx(0.4)]
    assert result.metric_value("Negative feedback, current weeks") == pytest.approx(3 / 10)  # per turn
    assert result.metric_value("Conversations with negative feedback, current weeks") == pytest.approx(2 / 5)
    table = result.tables["Negative feedback per week: per turn and per conversation"]
    assert list(table["per turn (%)"]) == [25.0, 30.0] and list(table["per conversation (%)"]) == [50.0, 40.0]


def test_only_conversations_with_feedback_count_when_the_base_is_rated_outputs(folder):
    # C4 got no feedback on either turn: week 1 has 3 rated conversations, 2 failed (66.7%); 6 rated turns, 2 negative
    weeks = analyze(answers(folder, feedback_base="outputs with feedback")).data["conversations"]
    assert (weeks[0]["conversations"], weeks[0]["failed_conversations"]) == (3, 2)
    assert weeks[0]["rate"] == pytest.approx(2 / 3)
    assert (weeks[0]["turns"], weeks[0]["negative_turns"]) == (6, 2)


def test_the_review_sample_draws_whole_conversations(folder):
    # week 2 has 5 conversations; 2 are drawn at random: each has probability 2/5 and weight 2.5, and every turn
    # of a drawn conversation is in the sample with its conversation's weight
    sample = review_sample(answers(folder))
    drawn = set(sample["conversation_id"])
    assert len(drawn) == 2 and drawn <= set(WEEK_2)
    assert len(sample) == sum(len(WEEK_2[c]) for c in drawn)
    assert set(sample["id"]) == {f"{c}-{t}" for c in drawn for t in range(len(WEEK_2[c]))}
    assert (sample["weight"] == 2.5).all() and (sample["inclusion_probability"] == 0.4).all()
    result = analyze(answers(folder))
    assert result.data["review"]["unit"] == "conversations" and result.data["review"]["sampled"] == 2


def test_oversampling_picks_risky_conversations(folder):
    # risky conversations in week 2 (a negative turn; confidence is 0.9 throughout): C5 and C7, 2 of 5.
    # Budget 2, factor 3: 3r × 2 + r × 3 = 2 → r = 2/9; targets 4/3 risky and 2/3 other → 1 and 1 (largest
    # remainder); weights 2 / 1 = 2 for the risky one and 3 / 1 = 3 for the other
    sample = review_sample(answers(folder, sampling="oversample risky", oversample=3))
    per_talk = sample.drop_duplicates("conversation_id").set_index("conversation_id")
    assert sorted(per_talk["stratum"]) == ["other", "risky"]
    risky = per_talk[per_talk["stratum"] == "risky"]
    assert risky.index[0] in {"C5", "C7"} and risky["weight"].iloc[0] == 2.0
    assert per_talk[per_talk["stratum"] == "other"]["weight"].iloc[0] == 3.0


def test_a_database_log_draws_the_same_conversations(folder):
    duckdb = pytest.importorskip("duckdb")
    duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{folder / 'chat.csv'}', all_varchar=true)) TO "
                             f"'{folder / 'chat.parquet'}' (FORMAT parquet)")
    for seed in (0, 1, 2):
        csv = review_sample(answers(folder, seed=seed))
        parquet = review_sample(answers(folder, "chat.parquet", seed=seed))
        pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    from_csv = analyze(answers(folder)).data["conversations"]
    from_parquet = analyze(answers(folder, "chat.parquet")).data["conversations"]
    assert from_csv == from_parquet


def test_a_log_without_conversations_keeps_its_rates_per_output(folder):
    chat_log().drop(columns="session").to_csv(folder / "plain.csv", index=False)
    result = analyze(answers(folder, "plain.csv", log_columns={}))
    assert "conversations" not in result.data
    assert result.data["review"]["unit"] == "outputs" and result.data["review"]["sampled"] == 2

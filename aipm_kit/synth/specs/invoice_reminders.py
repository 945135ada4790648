"""invoice-reminders: a reminder schedule of rules, not AI, launched for 400 small businesses.

The story in numbers: the rules agree with the bookkeepers on 97% of past decisions (question 2); two
bookkeepers agree on almost every label (question 3); the rules' payment-status certainty has a few levels, by
the age of the bank feed (question 5); the rules pass their test set of 1,120 distinct invoices where the first
draft failed about half (question 6); and twelve weeks after launch nothing has moved: retractions stay within
their limits, the tier mix is steady, and every failure the weekly review found is already in the test set
(question 7, Stable).
"""

ACTIONS = {"no reminder": 0.28, "friendly reminder": 0.25, "firm reminder": 0.16, "final notice": 0.08,
           "statement": 0.08, "owner calls": 0.08, "hold: check payment": 0.07}
NEIGHBOUR = {"no reminder": "friendly reminder", "friendly reminder": "no reminder", "firm reminder": "final notice",
             "final notice": "owner calls", "statement": "firm reminder", "owner calls": "final notice",
             "hold: check payment": "firm reminder"}
TIERS = {"Standard": 0.60, "New": 0.25, "Key": 0.15}
REGIONS = {"Americas": 0.45, "Europe": 0.40, "Asia-Pacific": 0.15}

# what the ledger shows for an invoice that should get each action
FACTS = {
    "no reminder": ["INV-{num} · ${small} · {early} days overdue · 0 reminders sent · feed synced today",
                    "INV-{num} · ${amount} · {late} days overdue · on a payment plan · feed synced today",
                    "INV-{num} · ${amount} · {late} days overdue · disputed by the client · feed synced today"],
    "friendly reminder": ["INV-{num} · ${amount} · {d1} days overdue · 0 reminders sent · feed synced today"],
    "firm reminder": ["INV-{num} · ${amount} · {d2} days overdue · 1 reminder sent · feed synced today"],
    "final notice": ["INV-{num} · ${small} · {d3} days overdue · 2 reminders sent · feed synced today"],
    "statement": ["INV-{num} · ${amount} · {d1} days overdue · {others} other invoices due today · feed synced today"],
    "owner calls": ["INV-{num} · ${large} · {d3} days overdue · 2 reminders sent · feed synced today",
                    "INV-{num} · ${amount} · {d2} days overdue · billing contact bounced · feed synced today"],
    "hold: check payment": ["INV-{num} · ${amount} · {d2} days overdue · 1 reminder sent · feed {stale} days old",
                            "INV-{num} · ${amount} · {d1} days overdue · unmatched payment of ${amount} waiting"],
}
FILL = {"num": [str(n) for n in range(40000, 41000)],
        "small": [f"{a:,}.{c:02d}" for a in range(120, 990, 37) for c in (0, 15, 40, 90)],
        "amount": [f"{a:,}.{c:02d}" for a in range(1000, 9900, 310) for c in (0, 25, 50, 75)],
        "large": [f"{a:,}.00" for a in range(10500, 60000, 1500)],
        "early": ["1", "2"], "late": ["12", "20", "35"], "d1": ["3", "4", "5", "7", "8"], "d2": ["10", "14", "15", "21"],
        "d3": ["21", "30", "31", "33"], "others": ["2", "3", "4"], "stale": ["3", "4", "6"]}
# the categories question 5's failure modes became, each with the action it must end in
FAILURE_MODES = {"Reminder on an invoice already paid": "hold: check payment",
                 "Reminder on a disputed invoice": "no reminder", "Final notice to a key account": "owner calls",
                 "Reminder to the wrong contact": "owner calls", "Too many reminders at once": "statement"}

SPEC = {
    "seed": 22,
    "files": {"need_ai_sample": "need_ai_sample.csv", "data_sample": "data_sample.csv",
              "scores": "payment_certainty.csv", "eval": "eval_results.csv", "baseline": "eval_baseline.csv",
              "log": "production_log.csv", "reviewed": "reviewed_failures.csv"},
    "need_ai_sample": {
        "n": 400, "id_column": "invoice_id", "id_prefix": "INV-", "id_start": 20001, "text_column": "invoice",
        "texts": FACTS, "fill": FILL, "columns": {"tier": TIERS}, "labels": ACTIONS, "confused": NEIGHBOUR,
        "rule_accuracy": 0.9725,
    },
    "data_sample": {
        "n": 300, "id_column": "invoice_id", "id_prefix": "INV-", "id_start": 31001, "date_column": "due_date",
        "start": "2026-02-02", "days": 88, "columns": {"client tier": {"Standard": 0.51, "New": 0.21, "Key": 0.28},
                                                        "region": {"Americas": 0.42, "Europe": 0.38, "Asia-Pacific": 0.20}},
        "label_column": "action", "labels": ACTIONS, "second_rater_column": "action_second_rater",
        "second_share": 0.4, "agreement": 0.96, "confused": NEIGHBOUR,
    },
    # the certainty is a rule's number: by the bank feed's age, lower with an unmatched payment waiting
    "scores": {"n": 2000, "id_column": "reminder_id", "id_prefix": "RM-",
               "values": {0.995: 0.74, 0.99: 0.12, 0.97: 0.04, 0.93: 0.04, 0.88: 0.02, 0.80: 0.02, 0.398: 0.02}},
    "eval": {
        "id_prefix": "IT-",
        # cases, rules pass rate, first draft pass rate: the draft lacked the hold, the hand-off and statements
        "categories": {"good": (370, 1.0, 0.62), "bad": (60, 1.0, 0.70), "edge": (120, 0.983, 0.55),
                       "adversarial": (40, 0.775, 0.50), "what rules miss": (60, 0.833, 0.80),
                       "rule conflicts": (40, 0.60, 1.0), "Reminder on an invoice already paid": (150, 1.0, 0.30),
                       "Reminder on a disputed invoice": (100, 1.0, 0.70), "Final notice to a key account": (100, 1.0, 0.0),
                       "Reminder to the wrong contact": (40, 1.0, 0.0), "Too many reminders at once": (40, 1.0, 0.0)},
        "overlap": 1.0, "labels": ACTIONS, "category_label": FAILURE_MODES, "confused": NEIGHBOUR,
        "texts": {**{c: FACTS for c in ("good", "bad", "edge", "adversarial", "what rules miss", "rule conflicts")},
                  **{c: {a: FACTS[a]} for c, a in FAILURE_MODES.items()}},
        "fill": FILL,
        "slices": {"slice": {"email": 0.80, "client portal": 0.15, "post": 0.05}, "client tier": TIERS,
                   "region": REGIONS},
        "promote_reviewed": True, "promote_slice": "client tier",
    },
    "log": {
        "start": "2026-07-06", "weeks": 12, "per_week": 462, "id_prefix": "RM-", "days": [1, 1, 1, 1, 1, 0, 0],
        "hours": [0] * 7 + [1] + [0] * 16,
        "segments": TIERS, "wrong_rate": {"Standard": 0.03, "New": 0.03, "Key": 0.03},
        "labels": ACTIONS, "confused": NEIGHBOUR, "texts": {t: FACTS for t in TIERS}, "fill": FILL,
        "confidence": {"right": (60, 0.8), "wrong": (20, 2.0)},
        "feedback": {"negative": "retracted", "positive": "paid", "if_wrong": 0.8, "if_right": 0.004, "blank": 0.4},
        "failure_modes": {"*": {"Reminder on an invoice already paid": 0.4, "Reminder to the wrong contact": 0.15,
                                "what rules miss": 0.2, "rule conflicts": 0.1, "Reminder on a disputed invoice": 0.1,
                                "Too many reminders at once": 0.05}},
    },
    "reviewed": {"weeks": [-6, -5, -4, -3, -2, -1], "review_budget": 80, "negative_feedback": "retracted",
                 "low_confidence": 0.97, "oversample": 3, "seed": 11,
                 "category": {m: m for m in ("Reminder on an invoice already paid", "Reminder to the wrong contact",
                                             "what rules miss", "rule conflicts", "Reminder on a disputed invoice",
                                             "Too many reminders at once")}},
}

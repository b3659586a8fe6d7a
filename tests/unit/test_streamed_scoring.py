"""An approach's answers are judged as they come in (remote judges), or after them in turn
(judges that are models in the task's process); BERTScore scores them in one pass at the end."""

from __future__ import annotations

import threading
import time

import pytest

from tailor.evaluation.judging import Item
from tailor.evaluation.streamed_scoring import StreamedScoring


def row(n: int, answered: bool = True) -> dict:
    return {
        "input_text": f"q{n}",
        "ground_truth": f"reference {n}",
        "llm_response": f"answer {n}" if answered else None,
        "product_name": "p",
    }


class Recorder:
    """A judge and a BERTScore stand-in that say what they were asked, and when."""

    def __init__(self) -> None:
        self.judged: list[str] = []
        self.bert_batches: list[list[str]] = []
        self.seen = threading.Condition()

    def judge(self, item: Item) -> float | None:
        with self.seen:
            self.judged.append(item.key)
            self.seen.notify_all()
        return len(item.candidate) / 100

    def f1(self, candidates: list[str], references: list[str]) -> list[float]:
        assert len(candidates) == len(references)
        with self.seen:
            self.bert_batches.append(list(candidates))
            self.seen.notify_all()
        return [int(c.split()[-1]) / 1000 for c in candidates]

    def wait_for(self, check) -> None:
        with self.seen:
            assert self.seen.wait_for(check, timeout=10), (self.judged, self.bert_batches)


def test_answers_are_judged_while_the_rest_are_still_to_come():
    recorder, loaded = Recorder(), threading.Event()
    scoring = StreamedScoring(
        "rag", {"judge-a": (recorder.judge, 4)}, recorder.f1, overlap=True, load_scorer=loaded.set
    )
    assert loaded.wait(10)  # BERTScore's model loads while the first answers are awaited
    scoring.add(1, row(1))
    scoring.add(0, row(0))
    # judged before any later answer is in
    recorder.wait_for(lambda: sorted(recorder.judged) == ["rag:0", "rag:1"])
    scoring.add(2, row(2, answered=False))  # asleep: no answer, no judgement
    scoring.add(3, row(3))
    assert recorder.bert_batches == []  # CPU work: not beside the answering threads
    judged, bert = scoring.scores()
    assert list(judged["judge-a"]) == ["rag:0", "rag:1", "rag:3"]
    assert bert == [0.0, 0.001, None, 0.003]
    assert recorder.bert_batches == [["answer 0", "answer 1", "answer 3"]]  # one pass


def test_streamed_and_in_turn_scoring_give_the_same_scores():
    rows = [row(n, answered=n % 5 != 3) for n in range(40)]
    results = []
    for overlap in (True, False):
        recorder = Recorder()
        scoring = StreamedScoring(
            "hybrid",
            {"a": (recorder.judge, 3), "b": (recorder.judge, 1)},
            recorder.f1,
            overlap=overlap,
        )
        for position in reversed(range(len(rows))):  # in any order, as a pool finishes them
            scoring.add(position, rows[position])
        results.append(scoring.scores())
    assert results[0] == results[1]
    judged, bert = results[0]
    assert len(judged["a"]) == len(judged["b"]) == 32 and bert[3] is None and bert[4] == 0.004


def test_in_process_judges_wait_for_the_last_answer():
    recorder = Recorder()
    scoring = StreamedScoring("base", {"smollm2": (recorder.judge, 1)}, recorder.f1, overlap=False)
    for n in range(5):
        scoring.add(n, row(n))
    assert recorder.judged == [] and recorder.bert_batches == []  # the answering model's CPU
    judged, bert = scoring.scores()
    assert len(judged["smollm2"]) == 5 and len(recorder.bert_batches) == 1


def test_a_judges_error_fails_the_scoring():
    def refused(item: Item) -> float | None:
        raise PermissionError(f"AccessDenied judging {item.key}")

    with StreamedScoring("rag", {"judge-a": (refused, 2)}, None, overlap=True) as scoring:
        scoring.add(0, row(0))
        with pytest.raises(PermissionError, match="rag:0"):
            scoring.scores()


def test_leaving_early_drops_the_judgements_not_yet_made():
    """The answering failed: the task fails without waiting for judgements still queued."""
    started, release = threading.Event(), threading.Event()
    judged = []

    def slow(item: Item) -> float | None:
        started.set()
        release.wait(10)
        judged.append(item.key)
        return 0.5

    with pytest.raises(ConnectionError):
        with StreamedScoring("rag", {"judge-a": (slow, 1)}, None, overlap=True) as scoring:
            for n in range(5):
                scoring.add(n, row(n))
            assert started.wait(10)
            raise ConnectionError("the endpoint went away")
    release.set()
    time.sleep(0.2)
    assert judged == ["rag:0"]  # the one in flight ends; the four queued are dropped


def test_without_a_scorer_there_is_no_bertscore():
    recorder = Recorder()
    scoring = StreamedScoring("rag", {"judge-a": (recorder.judge, 2)}, None, overlap=True)
    scoring.add(0, row(0))
    judged, bert = scoring.scores()
    assert bert is None and judged == {"judge-a": {"rag:0": 0.08}}

"""An approach's answers scored as they come in.

Remote judges and BERTScore need not wait for an approach's last answer: with `overlap` on,
each answer goes to every judge's pool of calls the moment it is in, and BERTScore scores
each batch of answers on a thread of its own (its model loading while the first answers are
awaited), so the approach is scored moments after its last answer instead of a judging round
and a BERTScore pass later. Judges that are models in this process compete with the answering
model for the CPU: with `overlap` off they score once every answer is in (side by side), then
BERTScore (beside the judges, they lost scores).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tailor.evaluation.judging import Item, answer_item, answer_items, score_items

Judge = tuple[Callable[[Item], float | None], int]  # its scoring call, calls in flight at most
F1 = Callable[[list[str], list[str]], list[float]]  # BERTScore F1 of candidates vs references
BERT_BATCH = 16  # answers per BERTScore pass (bert-score's own batch size)


class StreamedScoring:
    """``add`` each answer (a stored answer row) with its position, then ``scores()``."""

    def __init__(self, approach: str, judges: dict[str, Judge], f1: F1 | None, overlap: bool,
                 load_scorer: Callable[[], object] | None = None) -> None:  # fmt: skip
        self.approach, self.judges, self.f1, self.overlap = approach, judges, f1, overlap
        self._rows: dict[int, dict] = {}
        self._lock = threading.Lock()
        self._judged: dict[str, dict[int, Future]] = {judge: {} for judge in judges}
        self._bert: list[tuple[list[int], Future]] = []
        self._unscored: list[int] = []  # answered positions waiting for a BERTScore batch
        self._pools: dict[str, ThreadPoolExecutor] = {}
        if overlap:
            self._pools = {judge: ThreadPoolExecutor(max_workers=workers)
                           for judge, (_, workers) in judges.items()}  # fmt: skip
            self._scorer = ThreadPoolExecutor(max_workers=1)
            if f1 and load_scorer:
                self._scorer.submit(load_scorer)  # while the first answers are awaited

    def add(self, position: int, row: dict) -> None:
        with self._lock:
            self._rows[position] = row
            item = answer_item(self.approach, position, row)
            if not self.overlap or item is None:
                return
            for judge, (score, _) in self.judges.items():
                self._judged[judge][position] = self._pools[judge].submit(score, item)
            self._unscored.append(position)
            if len(self._unscored) >= BERT_BATCH:
                self._score_batch()

    def _score_batch(self) -> None:
        batch, self._unscored = self._unscored, []
        if batch and self.f1:
            rows = [self._rows[position] for position in batch]
            self._bert.append((batch, self._scorer.submit(
                self.f1, [r["llm_response"] for r in rows], [r["ground_truth"] for r in rows]
            )))  # fmt: skip

    def scores(self) -> tuple[dict[str, dict[str, float | None]], list[float | None] | None]:
        """Each judge's scores by item key, and BERTScore F1 per answer in position order
        (None: no answer; the whole list None without a scorer); a judge's error is raised."""
        rows = [self._rows[position] for position in sorted(self._rows)]
        try:
            if self.overlap:
                return self._streamed(rows)
            return self._in_turn(rows)
        finally:
            for pool in [*self._pools.values(), *([self._scorer] if self.overlap else [])]:
                pool.shutdown(wait=False, cancel_futures=True)

    def _streamed(self, rows: list[dict]):
        with self._lock:
            self._score_batch()
        judged = {judge: {f"{self.approach}:{p}": futures[p].result() for p in sorted(futures)}
                  for judge, futures in self._judged.items()}  # fmt: skip
        if not self.f1:
            return judged, None
        bert: list[float | None] = [None] * len(rows)
        for batch, done in self._bert:
            for position, value in zip(batch, done.result(), strict=True):
                bert[position] = value
        return judged, bert

    def _in_turn(self, rows: list[dict]):
        items = answer_items(self.approach, rows)
        with ThreadPoolExecutor(max_workers=max(1, len(self.judges))) as pool:
            futures = {judge: pool.submit(score_items, score, items, workers)
                       for judge, (score, workers) in self.judges.items()}  # fmt: skip
            judged = {judge: done.result() for judge, done in futures.items()}
        if not self.f1:
            return judged, None
        answered = [r for r in rows if r["llm_response"] is not None]
        candidates, references = [r["llm_response"] for r in answered], [
            r["ground_truth"] for r in answered
        ]
        values = iter(self.f1(candidates, references) if answered else [])
        return judged, [next(values) if r["llm_response"] is not None else None for r in rows]

"""An approach's answers judged as they come in.

Remote judges need not wait for an approach's last answer: with `overlap` on, each answer goes
to every judge's pool of calls the moment it is in, so the approach is judged moments after its
last answer instead of a judging round later. BERTScore is CPU work: it scores every answer in
one pass once all are in (beside the judges' last calls), its model loaded on a thread of its
own while the first answers are awaited. Scoring batches of 16 as they came in fought the
threads that keep the endpoint busy for two cores and the GIL: a 1,000-question night took
1.73x its capacity bound that way (bench/eval_orchestration.py), 1.28x with one pass at the
end, in two runs on the same machine. Judges that are models in this process compete with the
answering model: with `overlap` off they score once every answer is in (side by side), then
BERTScore (beside the judges, they lost scores).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tailor.evaluation.judging import Item, answer_item, answer_items, score_items

Judge = tuple[Callable[[Item], float | None], int]  # its scoring call, calls in flight at most
F1 = Callable[[list[str], list[str]], list[float]]  # BERTScore F1 of candidates vs references


class StreamedScoring:
    """``with StreamedScoring(...) as scoring:`` ``add`` each answer (a stored answer row)
    with its position, then ``scores()``."""

    def __init__(
        self,
        approach: str,
        judges: dict[str, Judge],
        f1: F1 | None,
        overlap: bool,
        load_scorer: Callable[[], object] | None = None,
    ) -> None:
        self.approach, self.judges, self.f1, self.overlap = approach, judges, f1, overlap
        self._rows: dict[int, dict] = {}
        self._judged: dict[str, dict[int, Future]] = {judge: {} for judge in judges}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._scorer = ThreadPoolExecutor(max_workers=1)
        if overlap:
            self._pools = {
                judge: ThreadPoolExecutor(max_workers=workers)
                for judge, (_, workers) in judges.items()
            }
            if f1 and load_scorer:
                self._scorer.submit(load_scorer)  # while the first answers are awaited

    def add(self, position: int, row: dict) -> None:
        self._rows[position] = row
        item = answer_item(self.approach, position, row)
        if self.overlap and item is not None:
            for judge, (score, _) in self.judges.items():
                self._judged[judge][position] = self._pools[judge].submit(score, item)

    def scores(self) -> tuple[dict[str, dict[str, float | None]], list[float | None] | None]:
        """Each judge's scores by item key, and BERTScore F1 per answer in position order
        (None: no answer; the whole list None without a scorer); a judge's error is raised."""
        rows = [self._rows[position] for position in sorted(self._rows)]
        if not self.overlap:
            judged = self._judge_in_turn(rows)
            return judged, self._bertscore(rows)
        bert = self._scorer.submit(self._bertscore, rows)  # beside the judges' last calls
        judged = {
            judge: {f"{self.approach}:{p}": futures[p].result() for p in sorted(futures)}
            for judge, futures in self._judged.items()
        }
        return judged, bert.result()

    def __enter__(self) -> StreamedScoring:
        return self

    def __exit__(self, *exc: object) -> None:
        """Judgements not yet made are dropped (the answering failed: the task fails)."""
        for pool in [*self._pools.values(), self._scorer]:
            pool.shutdown(wait=False, cancel_futures=True)

    def _judge_in_turn(self, rows: list[dict]) -> dict[str, dict[str, float | None]]:
        items = answer_items(self.approach, rows)
        with ThreadPoolExecutor(max_workers=max(1, len(self.judges))) as pool:
            futures = {
                judge: pool.submit(score_items, score, items, workers)
                for judge, (score, workers) in self.judges.items()
            }
            return {judge: done.result() for judge, done in futures.items()}

    def _bertscore(self, rows: list[dict]) -> list[float | None] | None:
        if not self.f1:
            return None
        answered = [r for r in rows if r["llm_response"] is not None]
        candidates, references = (
            [r["llm_response"] for r in answered],
            [r["ground_truth"] for r in answered],
        )
        values = iter(self.f1(candidates, references) if answered else [])
        return [next(values) if r["llm_response"] is not None else None for r in rows]

"""Every file one night's evaluation writes, in one place: the night's folder
(``<evaluations>/<date>/``) and the history partitions beside it.

On a `Path` (tests, scripts) or an `ObjectStoragePath` (the DAGs, local or S3) alike: only
``/``, ``read_text``, ``exists`` and ``iterdir`` are used, and every write is atomic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tailor.storage import write_atomic

P = TypeVar("P")

CONTROLS = "controls"  # the judges' calibration items: a part scored beside the approaches
# the history beside the nights: one Parquet partition per night
HISTORY = "history"  # one row per approach
HISTORY_JUDGES = "history_judges"  # one row per judge: calibration and agreement
HISTORY_COMPARISONS = "history_comparisons"  # the paired comparisons of approaches
HUMAN_GRADES = "history_human"  # every grade people gave


def file_name(judge: str) -> str:
    """A judge id as a file name (model ids hold ':' and '/')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", judge)


def _name(path: Any) -> str:
    return path.name


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2).encode()


@dataclass(frozen=True)
class NightStore(Generic[P]):
    """The files of the night evaluated on `date`, under the `evaluations` folder."""

    evaluations: P
    date: str

    @property
    def folder(self) -> P:
        return self.evaluations / self.date

    def night(self, date: str) -> NightStore[P]:
        """Another night of the same history."""
        return NightStore(self.evaluations, date)

    @property
    def history(self) -> P:
        return self.evaluations / HISTORY

    @property
    def history_judges(self) -> P:
        return self.evaluations / HISTORY_JUDGES

    @property
    def history_comparisons(self) -> P:
        return self.evaluations / HISTORY_COMPARISONS

    @property
    def human_grades(self) -> P:
        return self.evaluations / HUMAN_GRADES

    # the test cases, with their hashes and stale-reference flags
    @property
    def cases_file(self) -> P:
        return self.folder / "cases.json"

    def write_cases(self, cases: list[dict[str, Any]]) -> None:
        write_atomic(self.cases_file, _json(cases))

    def cases(self) -> list[dict[str, Any]]:
        """The night's cases; none for a night kept before cases were."""
        path = self.cases_file
        return json.loads(path.read_text()) if path.exists() else []

    def earlier_cases(self) -> list[list[dict[str, Any]]]:
        """The cases of every night before this one that kept them, oldest first."""
        if not self.evaluations.exists():
            return []
        earlier = (self.night(n.name) for n in sorted(self.evaluations.iterdir(), key=_name))
        return [n.cases() for n in earlier if n.date < self.date and n.cases_file.exists()]

    # each approach's answers, with the system snapshot that gave them
    def answers_file(self, approach: str) -> P:
        return self.folder / "answers" / f"{approach}.json"

    def write_answers(self, approach: str, stored: dict[str, Any]) -> None:
        write_atomic(self.answers_file(approach), _json(stored))

    def answers(self, approach: str) -> dict[str, Any]:
        """An approach's stored answers; the first format (a bare list, before snapshots were
        kept) reads as answers whose system snapshot is unknown."""
        stored = json.loads(self.answers_file(approach).read_text())
        if isinstance(stored, list):
            return {"kb_manifest": None, "model_version": None, "answers": stored}
        return stored

    # scores: BERTScore per approach, and each judge's per part (an approach, or CONTROLS)
    def bertscore_file(self, approach: str) -> P:
        return self.folder / "scores" / "bertscore" / f"{approach}.json"

    def write_bertscore(self, approach: str, scores: list[float | None]) -> None:
        write_atomic(self.bertscore_file(approach), json.dumps(scores).encode())

    def bertscore(self, approach: str) -> list[float | None]:
        return json.loads(self.bertscore_file(approach).read_text())

    def judge_file(self, judge: str, part: str) -> P:
        return self.folder / "scores" / "judges" / file_name(judge) / f"{part}.json"

    def write_judge_scores(
        self, judge: str, part: str, scores: dict[str, float | None], how: str
    ) -> None:
        """One judge's scores of one part, and whether they came online or in batch."""
        write_atomic(
            self.judge_file(judge, part), _json({"judge": judge, "path": how, "scores": scores})
        )

    def judge_path(self, judge: str, part: str) -> str:
        """How the judge's scores of `part` came: online or batch."""
        return json.loads(self.judge_file(judge, part).read_text()).get("path", "online")

    def judge_scores(self, judge: str, parts: list[str]) -> dict[str, float | None]:
        """A judge's scores of the night's parts (the approaches' answers and the controls)."""
        scores: dict[str, float | None] = {}
        for part in parts:
            scores.update(json.loads(self.judge_file(judge, part).read_text())["scores"])
        return scores

    @property
    def left_out_judges_file(self) -> P:
        return self.folder / "scores" / "left_out_judges.json"

    def write_left_out_judges(self, left_out: dict[str, str]) -> None:
        write_atomic(self.left_out_judges_file, _json(left_out))

    # the results: per-sample rows per approach (the reference's), the summary, the judges
    def rows_file(self, approach: str) -> P:
        return self.folder / f"{approach}.json"

    def write_rows(self, approach: str, rows: list[dict[str, Any]]) -> None:
        write_atomic(self.rows_file(approach), _json(rows))

    def rows(self, approach: str) -> list[dict[str, Any]]:
        """An approach's per-sample results; none where the night did not evaluate it."""
        path = self.rows_file(approach)
        return json.loads(path.read_text()) if path.exists() else []

    @property
    def summary_file(self) -> P:
        return self.folder / "summary_results.csv"

    @property
    def comparisons_file(self) -> P:
        return self.folder / "comparisons.csv"

    @property
    def judges_file(self) -> P:
        return self.folder / "judges.json"

    def write_judges(self, judges: dict[str, Any]) -> None:
        write_atomic(self.judges_file, _json(judges))

    def judges(self) -> dict[str, Any]:
        return json.loads(self.judges_file.read_text())

    # the answers a night asked a person to grade
    @property
    def review_file(self) -> P:
        return self.folder / "review.json"

    # a batch night's jobs: one folder per part (an approach's answers, a judge's judgements)
    def batch_folder(self, part: str) -> P:
        return self.folder / "batch" / part

    @staticmethod
    def judging_part(approach: str, judge: str) -> str:
        """The batch part of one judge's judgements of an approach's answers."""
        return f"{approach}-judge-{file_name(judge)}"

    def pending_file(self, part: str) -> P:
        """The answers a job's replies complete, with their prompts."""
        return self.batch_folder(part) / "pending.json"

"""Fine-tuned models on the embedded backend: LoRA folders under data_root, answered in
process at the gate; the local endpoint serves whatever current.json names."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tailor.evaluation.answering import Generation, Generator, timed
from tailor.settings import Settings
from tailor_airflow.tuned.protocol import Record


class LocalTunedModels:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def answerer(self, record: Record) -> Callable[[str], str]:
        from tailor.local.generate import LocalGenerator

        generator = LocalGenerator(Path(record.get("model_path") or record["path"]))
        return lambda prompt: generator.generate(prompt).text

    def served_generator(self, current: Record | None) -> Generator:
        """The `transformers serve` endpoint, serving whatever current.json names."""
        from tailor.local.generate import LOCAL_MAX_TOKENS
        from tailor.local.server import LocalModelServer

        layout = self.settings.local_layout
        server = LocalModelServer(layout.endpoint, self.settings.local_endpoint_port)

        def answer(prompt: str) -> Generation:
            def call():
                message = [{"role": "user", "content": prompt}]
                reply = server.chat(message, max_tokens=LOCAL_MAX_TOKENS)
                usage = reply["usage"]
                choice = reply["choices"][0]
                text = choice["message"]["content"].strip()
                cut = choice.get("finish_reason") == "length"
                return text, usage["prompt_tokens"], usage["completion_tokens"], cut

            return timed(call)

        return answer

    def served(self, current: Record | None) -> Record | None:
        return current

    def remove_candidate(self, candidate: Record) -> bool:
        """The candidate's model folder (its metrics stay in the lineage)."""
        from tailor_airflow.training import local_model_dir

        folder = local_model_dir(self.settings, candidate)
        if not folder.exists():
            return False
        shutil.rmtree(folder)
        return True

    def retire(self, served: Record, promoted: Record) -> str | None:
        return None  # the endpoint restarts on the promoted folder (DeployModelOperator)

    def after_clean_up(self, current: Record) -> None:
        return None

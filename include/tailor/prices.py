"""Every price Tailor's cost figures use, in one table (setting ``prices``).

Defaults are on-demand us-east-1 list prices for the reference's choices: OpenSearch
Serverless behind the Knowledge Base, Llama 3.1 8B Instruct on Bedrock for RAG and the base
model, ml.g5.12xlarge for training and hosting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Prices:
    opensearch_ocu_hour: float = 0.24
    opensearch_ocus: float = 2.0  # the serverless minimum: one indexing + one search OCU
    bedrock_input_per_1k_tokens: float = 0.00022
    bedrock_output_per_1k_tokens: float = 0.00022
    instance_hour: float = 7.09  # ml.g5.12xlarge hosting: 720 h = $5,105/month
    training_instance_hour: float = 7.09  # ml.g5.12xlarge training
    training_minutes_per_month: float = 30.0  # a ~60-minute fine-tune every two months

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> Prices:
        """Defaults overridden by `mapping`; unknown or non-numeric entries raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"unknown price(s): {', '.join(unknown)}")
        values = {}
        for name, value in mapping.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"price '{name}' must be a number >= 0, not {value!r}")
            values[name] = float(value)
        return cls(**values)

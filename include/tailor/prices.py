"""Every price Tailor's cost figures use, in one table (setting ``prices``).

Defaults are on-demand us-east-1 list prices for the reference's choices: OpenSearch
Serverless behind the Knowledge Base, Llama 3.1 8B Instruct on Bedrock for RAG and the base
model, ml.g5.12xlarge for training and hosting.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, NonNegativeFloat


class Prices(BaseModel):
    """Strict like the settings it sits in: an unknown price or a non-number is an error."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    opensearch_ocu_hour: NonNegativeFloat = 0.24
    opensearch_ocus: NonNegativeFloat = 2.0  # serverless minimum: one indexing + one search OCU
    bedrock_input_per_1k_tokens: NonNegativeFloat = 0.00022
    bedrock_output_per_1k_tokens: NonNegativeFloat = 0.00022
    bedrock_batch_price_factor: NonNegativeFloat = 0.5  # batch inference: half the token price
    instance_hour: NonNegativeFloat = 7.09  # ml.g5.12xlarge hosting: 720 h = $5,105/month
    training_instance_hour: NonNegativeFloat = 7.09  # ml.g5.12xlarge training
    training_minutes_per_month: NonNegativeFloat = 30.0  # a ~60-minute fine-tune every 2 months

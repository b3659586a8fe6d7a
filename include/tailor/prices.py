"""Every price Tailor's cost figures use, in one table (setting ``prices``).

Defaults are on-demand us-east-1 list prices for the reference's choices: OpenSearch
Serverless behind the Knowledge Base, Llama 3.1 8B Instruct on Bedrock for RAG and the base
model, ml.g5.12xlarge for training and hosting; and for a Bedrock customization of Nova Micro.
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
    # a Bedrock custom model (finetune_service bedrock); defaults: Nova Micro, the default base
    custom_model_input_per_1k_tokens: NonNegativeFloat = 0.000035  # on demand: the base's price
    custom_model_output_per_1k_tokens: NonNegativeFloat = 0.00014
    custom_model_storage_month: NonNegativeFloat = 1.95  # per custom model kept
    customization_per_1k_training_tokens: NonNegativeFloat = 0.001
    customization_tokens_per_month: NonNegativeFloat = 1_000_000.0  # tokens x epochs, amortised
    # no-commitment provisioned throughput, per model unit and hour: the model's own price from
    # the Bedrock pricing page; empty: the provisioned cost figures are left empty
    model_unit_hour: NonNegativeFloat | None = None

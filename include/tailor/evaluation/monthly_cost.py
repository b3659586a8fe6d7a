"""Monthly cost per approach, with the reference's usage assumptions.

The reference assumes 1,000 users x 10 requests a day x 30 days, 2,000 input and 1,000
output tokens a request, and a 24/7 endpoint. Tailor prices the endpoint twice: 24/7 as the
reference, and with the hours `endpoint_schedule` recorded (scale to zero off-hours).
"""

from __future__ import annotations

from dataclasses import dataclass

from tailor.endpoint.hours import HOURS_PER_MONTH
from tailor.evaluation.approaches import Approach
from tailor.prices import Prices


@dataclass(frozen=True)
class Usage:
    users: int = 1000
    requests_per_user_per_day: int = 10
    days: int = 30
    input_tokens: float = 2000
    output_tokens: float = 1000

    @property
    def requests(self) -> int:
        return self.users * self.requests_per_user_per_day * self.days


def monthly_cost(
    approach: Approach | str,
    prices: Prices,
    usage: Usage = Usage(),
    endpoint_hours: float | None = None,
    endpoint_copies: int = 1,
    serving: str | None = None,
    custom_models: int = 1,
) -> dict[str, float | None]:
    """The approach's monthly cost in dollars: 24/7, and with recorded endpoint hours.

    rag/base pay Bedrock tokens (rag also the vector store); fine_tuned/hybrid pay the
    endpoint's instance hours and the amortised fine-tuning (hybrid also the vector store) —
    or, for a Bedrock custom model (`serving` on_demand or provisioned), the storage of the
    `custom_models` kept (the served one and those retention keeps: each is billed), the
    amortised customization, and its tokens or its throughput's model-unit hours.
    """
    vector_store = prices.opensearch_ocus * prices.opensearch_ocu_hour * HOURS_PER_MONTH
    tokens = usage.requests * (
        usage.input_tokens / 1000 * prices.bedrock_input_per_1k_tokens
        + usage.output_tokens / 1000 * prices.bedrock_output_per_1k_tokens
    )
    training = prices.training_minutes_per_month / 60 * prices.training_instance_hour
    approach = Approach(approach)
    fixed = vector_store if approach.uses_context else 0.0
    if not approach.uses_endpoint:
        total = round(fixed + tokens, 2)
        return {"monthly_cost_24x7": total, "monthly_cost_scheduled": total}
    if serving is not None:
        kept = fixed + custom_model_storage(prices, max(1, custom_models))  # the served one
        return _custom_model_cost(kept, prices, usage, endpoint_hours, serving)
    always_on = HOURS_PER_MONTH * endpoint_copies * prices.instance_hour
    scheduled = None if endpoint_hours is None else endpoint_hours * prices.instance_hour
    return {
        "monthly_cost_24x7": round(fixed + training + always_on, 2),
        "monthly_cost_scheduled": (
            None if scheduled is None else round(fixed + training + scheduled, 2)
        ),
    }


def custom_model_storage(prices: Prices, models: int) -> float:
    """What `models` Bedrock custom models cost to keep for a month (each is billed, served
    or not)."""
    return round(models * prices.custom_model_storage_month, 2)


def _custom_model_cost(
    fixed: float, prices: Prices, usage: Usage, hours: float | None, serving: str
) -> dict[str, float | None]:
    """A Bedrock custom model: on demand it bills tokens (nothing to schedule); provisioned
    throughput bills model-unit hours, all month or the hours recorded. `fixed`: the vector
    store and the models' storage."""
    kept = fixed + (
        prices.customization_tokens_per_month / 1000 * prices.customization_per_1k_training_tokens
    )
    if serving == "on_demand":
        tokens = _custom_token_price(prices, usage.input_tokens, usage.output_tokens)
        total = round(kept + usage.requests * tokens, 2)
        return {"monthly_cost_24x7": total, "monthly_cost_scheduled": total}
    hour = prices.model_unit_hour
    if hour is None:  # no price given for this model's throughput: no figure, never a guess
        return {"monthly_cost_24x7": None, "monthly_cost_scheduled": None}
    return {
        "monthly_cost_24x7": round(kept + HOURS_PER_MONTH * hour, 2),
        "monthly_cost_scheduled": None if hours is None else round(kept + hours * hour, 2),
    }


def _custom_token_price(prices: Prices, tokens_in: float, tokens_out: float) -> float:
    return (
        tokens_in * prices.custom_model_input_per_1k_tokens
        + tokens_out * prices.custom_model_output_per_1k_tokens
    ) / 1000


def night_token_cost(
    approach: Approach | str,
    answers: list[dict],
    prices: Prices,
    batch: bool,
    serving: str | None = None,
) -> float | None:
    """What tonight's Bedrock answers cost in tokens, at the batch price when a batch job gave
    them, at the custom model's price from an on-demand custom model; None for answers
    billed by the hour (an endpoint, provisioned throughput) or without token counts."""
    custom = Approach(approach).uses_endpoint
    if custom and serving != "on_demand":
        return None
    answered = [a for a in answers if a.get("input_tokens") is not None]
    if not answered:
        return None
    tokens_in = sum(a["input_tokens"] for a in answered)
    tokens_out = sum(a.get("output_tokens") or 0 for a in answered)
    if custom:
        return round(_custom_token_price(prices, tokens_in, tokens_out), 6)
    factor = prices.bedrock_batch_price_factor if batch else 1.0
    cost = (
        (
            tokens_in * prices.bedrock_input_per_1k_tokens
            + tokens_out * prices.bedrock_output_per_1k_tokens
        )
        / 1000
        * factor
    )
    return round(cost, 6)

"""What a Bedrock customization job is given for each base model: records and hyperparameters."""

from __future__ import annotations

import pytest

from tailor.errors import InputError
from tailor.finetune.bedrock_customization import customizable
from tailor.finetune.dataset import PROMPT

NOVA, LLAMA = "amazon.nova-micro-v1:0:128k", "meta.llama3-1-8b-instruct-v1:0:128k"
PAIR = (PROMPT.format(question="How much water does the BrewPro 3 hold?"), "1.8 litres.")


def test_nova_trains_on_the_bedrock_conversation_schema_and_serves_on_demand():
    nova = customizable(NOVA)
    assert nova.record(*PAIR) == {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [{"text": PAIR[0]}]},
            {"role": "assistant", "content": [{"text": "1.8 litres."}]},
        ],
    }
    assert nova.serving == "on_demand"
    assert nova.hyperparameters({"epochs": 2.4, "learning_rate": 1e-5}, "c") == {
        "epochCount": "2",
        "learningRate": "1e-05",
    }


def test_llama_trains_on_prompt_completion_with_its_batch_size_on_provisioned_throughput():
    llama = customizable(LLAMA)
    assert llama.record(*PAIR) == {"prompt": PAIR[0], "completion": "1.8 litres."}
    assert llama.serving == "provisioned"
    assert llama.hyperparameters({"epochs": 1.0, "learning_rate": 2e-4}, "c") == {
        "epochCount": "1",
        "learningRate": "0.0002",
        "batchSize": "1",
    }


@pytest.mark.parametrize(
    ("model", "values", "message"),
    [
        (NOVA, {"epochs": 6.0, "learning_rate": 1e-5}, "epochs 6.0 is above .*maximum of 5"),
        (
            NOVA,
            {"epochs": 1.0, "learning_rate": 2e-4},
            "learning_rate 0.0002 is outside amazon.nova-micro-v1:0:128k's range 1e-06 to 0.0001",
        ),
        (
            LLAMA,
            {"epochs": 1.0, "learning_rate": 1e-6},
            "learning_rate 1e-06 is outside .* range 5e-06 to 0.1",
        ),
    ],
)
def test_values_outside_the_base_models_bounds_are_refused_naming_the_candidate(
    model, values, message
):
    with pytest.raises(InputError, match=f"candidate ft-1-2: {message}"):
        customizable(model).hyperparameters(values, "candidate ft-1-2")


def test_an_unknown_base_model_names_the_known_ones():
    with pytest.raises(ValueError, match="one of .*amazon.nova-lite-v1:0:300k"):
        customizable("amazon.titan-text-express-v1")


def test_domain_adaptation_is_refused_before_anything_is_read(tailor_settings, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    from tailor_airflow.training_set import prepare_training_set

    tailor_settings(backend="aws", data_root=f"s3://b/{tmp_path.name}", finetune_service="bedrock")
    with pytest.raises(
        AirflowFailException, match="trains on question/answer pairs: use method instruction_tuning"
    ):
        prepare_training_set("domain_adaptation", {"manifest_hash": "never read"}, "manual__1")


def test_llama_31_needs_a_hundred_records_before_any_job_is_paid_for():
    """The Bedrock user guide's Llama 3.1 requirements: 100 to 10,000 training and validation
    records (model-customization-prepare.html)."""
    from tailor.finetune.bedrock_customization import customizable
    from tailor.finetune.dataset import TrainingDataError

    llama = customizable("meta.llama3-1-8b-instruct-v1:0:128k")
    llama.check_records(100, "candidate x")
    with pytest.raises(
        TrainingDataError,
        match="candidate x: 60 training and validation records;"
        " meta.llama3-1-8b-instruct-v1:0:128k needs at least 100",
    ):
        llama.check_records(60, "candidate x")
    customizable("amazon.nova-micro-v1:0:128k").check_records(60, "candidate x")  # no such rule

"""finetune with ``finetune_service: bedrock`` under the strict aws emulation: a sweep of two
Nova Micro customization jobs in moto, their on-demand deployments, the gate, the promotion,
the loser's clean-up and the night's answers; Llama on provisioned throughput deleted off-hours
and created again by endpoint_schedule. Every call held to the shipped IAM policy."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

from tests.support.aws_http import install
from tests.support.aws_iam import ACCOUNT, admin_client
from tests.support.aws_night import (
    AWS_SETTINGS,
    BUCKET,
    canned_ingestion,
    retried,
    upload_catalog,
)
from tests.support.bedrock_custom_models import BedrockCustomModelService
from tests.support.paths import REPO

ROLE = f"arn:aws:iam::{ACCOUNT}:role/tailor-bedrock-customization"
ANSWER = "The BrewPro 3 tank holds 1.8 litres."


def converse(url: str, body: dict) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 40, "outputTokens": 11, "totalTokens": 51},
        "metrics": {"latencyMs": 300},
    }


@pytest.fixture
def bedrock(aws_mode, monkeypatch, moto_server):
    http = install(monkeypatch, passthrough=True)  # the triggers' aiobotocore clients too
    canned_ingestion(http)
    service = BedrockCustomModelService(moto_server, converse).install(http)
    return http, service


def bedrock_settings(tailor_settings, **extra) -> None:
    tailor_settings(
        **AWS_SETTINGS,
        finetune_service="bedrock",
        customization_role_arn=ROLE,
        gate_questions=2,
        **extra,
    )


def test_a_nova_sweep_trains_in_bedrock_serves_on_demand_and_answers_the_night(
    aws_mode,
    bedrock,
    tailor_settings,
    moto_server,
):
    from airflow.dag_processing.dagbag import DagBag

    from tailor_airflow.answerers import answerer_for
    from tailor_airflow.config import load_settings
    from tailor_airflow.endpoint import endpoint_for

    http, service = bedrock
    s3 = aws_mode
    bedrock_settings(tailor_settings)
    upload_catalog(s3)
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert {ti.state for ti in bag.get_dag("kb_sync").test().get_task_instances()} <= {
        "success",
        "skipped",
    }
    sweep = [{"learning_rate": 1e-5}, {"learning_rate": 5e-5}]
    run = bag.get_dag("finetune").test(run_conf={"sweep": sweep})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
    assert not retried(run)

    current = json.loads(
        s3.get_object(Bucket=BUCKET, Key="tailor/models/current.json")["Body"].read()
    )
    version = current["version"]
    names = [f"tailor-{version}-{n}" for n in (1, 2)]
    client = admin_client("bedrock", endpoint_url=moto_server)
    jobs = {
        j["jobName"]: client.get_model_customization_job(jobIdentifier=j["jobName"])
        for j in client.list_model_customization_jobs(maxResults=100)[
            "modelCustomizationJobSummaries"
        ]
    }
    assert sorted(jobs) == names
    first = jobs[names[0]]
    assert first["roleArn"] == ROLE and first["baseModelArn"].endswith(
        "amazon.nova-micro-v1:0:128k"
    )
    assert [jobs[n]["hyperParameters"] for n in names] == [
        {"epochCount": "1", "learningRate": "1e-05"},
        {"epochCount": "1", "learningRate": "5e-05"},
    ]
    data = f"s3://{BUCKET}/tailor/models/{version}/bedrock"
    assert first["trainingDataConfig"]["s3Uri"] == f"{data}/train.jsonl"
    assert first["validationDataConfig"]["validators"] == [{"s3Uri": f"{data}/validation.jsonl"}]
    record = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"tailor/models/{version}/bedrock/train.jsonl")["Body"]
        .read()
        .splitlines()[0]
    )
    assert record["schemaVersion"] == "bedrock-conversation-2024"
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
    assert record["messages"][0]["content"][0]["text"].startswith("Answer the customer's question")

    # equal answers: the first candidate wins and is served on demand; the loser's deployment
    # is gone, both custom models stay (audit)
    assert (current["candidate"], current["serving"]) == (f"{version}-1", "on_demand")
    assert list(service.serving) == [names[0]]
    assert current["serving_arn"] == service.serving[names[0]].arn
    assert len(client.list_custom_models()["modelSummaries"]) == 2
    lineage = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"tailor/models/{version}/lineage.json")["Body"].read()
    )
    assert lineage["cleaned_up"] == [f"{version}-2"]
    assert lineage["training_metrics"]["serving"] == "on_demand"
    assert [c["hyperparameters"]["learning_rate"] for c in lineage["candidates"]] == [1e-5, 5e-5]
    assert [[(a["name"], a["status"]) for a in c["attempts"]] for c in lineage["candidates"]] == [
        [(names[0], "Completed")],
        [(names[1], "Completed")],
    ]
    from tailor.finetune.custom_models import recorded
    from tailor_airflow.config import models_root

    kept = sorted(m["name"] for m in recorded(models_root(load_settings())))
    assert kept == names  # each billed monthly for storage: retention counts them

    # nothing to keep warm: the night's wake-up and endpoint_schedule skip an on-demand model
    endpoint = endpoint_for(load_settings())
    assert (
        endpoint.max_copies == 0 and "billed per token: nothing to schedule" in endpoint.description
    )

    # the night: fine_tuned answers through Converse with the deployment's ARN
    answerer, _ = answerer_for(load_settings())
    generation = answerer.endpoint("How much water does the BrewPro 3 hold?")
    assert (generation.text, generation.input_tokens, generation.output_tokens) == (ANSWER, 40, 11)
    assert any(quote(current["serving_arn"], safe="") in url for url, _ in http.requests)


def waited_for(deferred) -> str:
    """The job a deferred task waits for, as the provider's trigger serializes it."""
    return deferred.value.trigger.serialize()[1]["job_name"]


def test_a_failed_customization_job_is_retried_as_a_new_attempt_and_both_are_recorded(
    bedrock,
    tailor_settings,
    moto_server,
):
    """A Failed job cannot run again and its name and token are taken: a retry that
    re-attached to it failed at once, every time. The retry starts a new attempt under a new
    name and token; a retry while that attempt runs or after it completed re-attaches."""
    from airflow.sdk.exceptions import TaskDeferred

    from tailor.client_tokens import TOKEN
    from tailor.finetune.sweep import plan_candidates
    from tailor_airflow.bedrock_customization import CustomModelDeploymentTrigger
    from tailor_airflow.training import TrainModelOperator

    _, service = bedrock
    bedrock_settings(tailor_settings)
    (candidate,) = plan_candidates(
        "ft-202612060300-abcdef12", {"epochs": 1, "max_steps": 0, "learning_rate": 1e-5}, []
    )
    folder = f"s3://{BUCKET}/tailor/models/{candidate['version']}"
    training = {
        "version": candidate["version"],
        "folder": folder,
        "customization_train_uri": f"{folder}/bedrock/train.jsonl",
    }
    first, second = f"tailor-{candidate['name']}", f"tailor-{candidate['name']}-a2"
    service.fail_jobs[first] = "Training data has 3 records; at least 8 are required."

    def attempt() -> TrainModelOperator:  # each Airflow try is a fresh operator
        return TrainModelOperator(task_id="train", training=training, candidate=candidate)

    with pytest.raises(TaskDeferred) as deferred:
        attempt().execute({})
    assert waited_for(deferred) == first
    with pytest.raises(RuntimeError, match=f"{first} ended Failed: Training data has 3 records"):
        attempt().customized(
            {}, {"status": "error", "message": "Bedrock model customization failed."}
        )
    assert not service.serving  # nothing is served for a failed job

    with pytest.raises(TaskDeferred) as deferred:  # the retry: a new attempt
        attempt().execute({})
    assert waited_for(deferred) == second
    retry = attempt()
    with pytest.raises(TaskDeferred) as deferred:  # a retry after it completed: served
        retry.execute({})
    assert isinstance(deferred.value.trigger, CustomModelDeploymentTrigger)
    trained = retry.custom_model_served({}, {"status": "success"})

    assert [(a["name"], a["status"]) for a in trained["attempts"]] == [
        (first, "Failed"),
        (second, "Completed"),
    ]
    assert trained["attempts"][0]["message"].startswith("Training data has 3 records")
    assert trained["customization_job"] == second and trained["serving_name"] == first
    client = admin_client("bedrock", endpoint_url=moto_server)
    jobs = [
        client.get_model_customization_job(jobIdentifier=j["jobName"])
        for j in client.list_model_customization_jobs(maxResults=100)[
            "modelCustomizationJobSummaries"
        ]
    ]
    assert sorted(j["jobName"] for j in jobs) == [first, second]  # two attempts, no duplicate
    tokens = {j["clientRequestToken"] for j in jobs}
    assert len(tokens) == 2 and all(TOKEN.fullmatch(t) for t in tokens)
    assert trained["custom_model_arn"] == next(
        j["outputModelArn"] for j in jobs if j["jobName"] == second
    )


def test_provisioned_throughput_is_deleted_off_hours_and_created_again_for_the_night(
    aws_mode,
    bedrock,
    tailor_settings,
):
    """Llama custom models need provisioned throughput, billed by the hour and never at zero:
    endpoint_schedule deletes it (the custom model stays) and creates it again; the night
    answers through the new throughput's ARN."""
    from airflow.dag_processing.dagbag import DagBag

    from tailor.client_tokens import TOKEN
    from tailor.finetune.registry import promote
    from tailor_airflow.answerers import answerer_for
    from tailor_airflow.bedrock_customization import BedrockCustomModels
    from tailor_airflow.config import load_settings, models_root

    http, service = bedrock
    bedrock_settings(
        tailor_settings,
        customization_base_model="meta.llama3-1-8b-instruct-v1:0:128k",
        endpoint_timeout_minutes=1,
    )  # a wake-up that creates nothing fails soon
    settings = load_settings()
    name = "tailor-ft-202612060300-abcdef12"
    model = (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/"
        "meta.llama3-1-8b-instruct-v1:0:128k/abcdef123456"
    )
    first = BedrockCustomModels(settings).serve(name, model)  # as train leaves its winner
    promote(
        models_root(settings),
        {
            "version": "ft-202612060300-abcdef12",
            "candidate": "ft-202612060300-abcdef12",
            "serving": "provisioned",
            "serving_name": name,
            "serving_arn": first,
            "custom_model_arn": model,
        },
    )
    dag = DagBag(dag_folder=str(REPO / "dags" / "endpoint_schedule.py")).get_dag(
        "endpoint_schedule"
    )
    for copies in (0, 1):
        run = dag.test(run_conf={"target_copies": copies})
        assert {ti.state for ti in run.get_task_instances()} <= {"success", "skipped"}
        assert not retried(run)
        assert (name in service.serving) is bool(copies)
    again = service.serving[name]
    assert again.arn != first and again.model_arn == model  # a new throughput, the same model
    deletes = [u for u, _ in http.requests if u.startswith("DELETE ") and name in u]
    creates = [b for u, b in http.requests if u.startswith("POST ") and "provisioned-model" in u]
    assert len(deletes) == 1 and [c["modelUnits"] for c in creates] == [1, 1]
    # each creation its own token: Bedrock may still remember yesterday's (the emulation does,
    # for 36 hours after the throughput is gone) and would answer with yesterday's ARN
    tokens = [c["clientRequestToken"] for c in creates]
    assert len(set(tokens)) == 2 and all(TOKEN.fullmatch(t) for t in tokens)
    assert all("commitmentDuration" not in c for c in creates)  # no commitment: deletable
    events = aws_mode.list_objects_v2(Bucket=BUCKET, Prefix="tailor/endpoint/events/")
    assert events["KeyCount"] == 2  # both changes recorded, as for an endpoint
    (report,) = aws_mode.list_objects_v2(Bucket=BUCKET, Prefix="tailor/endpoint/cost/")["Contents"]
    cost = json.loads(aws_mode.get_object(Bucket=BUCKET, Key=report["Key"])["Body"].read())
    assert cost["monthly_hours"] > 0 and cost["price_per_hour"] is None  # hours, no guessed $
    assert cost["monthly_cost"] is None

    generation = answerer_for(load_settings())[0].endpoint("How much does the tank hold?")
    assert generation.text == ANSWER
    assert quote(again.arn, safe="") in http.requests[-1][0]


def test_a_rejected_candidates_custom_model_goes_only_when_the_setting_says_so(
    bedrock,
    tailor_settings,
    moto_server,
):
    from tailor.finetune.sweep import plan_candidates
    from tailor_airflow.bedrock_customization import BedrockCustomModels
    from tailor_airflow.config import load_settings
    from tailor_airflow.promotion import clean_up_candidates

    run = {"epochs": 1, "max_steps": 0, "learning_rate": 1e-5}
    candidates = plan_candidates("ft-202612060300-abcdef12", run, [{"epochs": 1}, {"epochs": 2}])
    folder = f"s3://{BUCKET}/tailor/models/ft-202612060300-abcdef12"
    training = {"folder": folder, "customization_train_uri": f"{folder}/bedrock/train.jsonl"}
    client = admin_client("bedrock", endpoint_url=moto_server)
    for keep, candidate in zip((True, False), candidates, strict=True):
        bedrock_settings(tailor_settings, delete_rejected_custom_models=not keep)
        name = f"tailor-{candidate['name']}"
        BedrockCustomModels(load_settings()).submit(name, training, candidate["hyperparameters"])
        assert clean_up_candidates([candidate]) == ([] if keep else [candidate["name"]])
        kept = [m["modelName"] for m in client.list_custom_models()["modelSummaries"]]
        assert (name in kept) is keep  # kept for audit by default; deleted when asked


def test_the_emulation_remembers_a_token_for_36_hours_after_what_it_made_is_gone(
    bedrock,
    moto_server,
):
    """How the emulation holds Tailor to Bedrock's client tokens (botocore: "If this token
    matches a previous request, Amazon Bedrock ignores the request, but does not return an
    error"), pessimistically: the first reply again, nothing created; a token outside the
    model's pattern refused."""
    from botocore.exceptions import ClientError

    _, service = bedrock
    client = admin_client("bedrock", endpoint_url=moto_server)
    model = (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/"
        "meta.llama3-1-8b-instruct-v1:0:128k/abcdef123456"
    )

    def create(token: str) -> str:
        return client.create_provisioned_model_throughput(
            provisionedModelName="tailor-x", modelId=model, modelUnits=1, clientRequestToken=token
        )["provisionedModelArn"]

    first = create("tailor-x")
    client.delete_provisioned_model_throughput(provisionedModelId="tailor-x")
    assert create("tailor-x") == first and "tailor-x" not in service.serving  # silently nothing
    service.tokens.clock = lambda: time.time() + 36 * 3600  # forgotten at last
    assert create("tailor-x") != first and "tailor-x" in service.serving
    with pytest.raises(ClientError, match="ValidationException.*clientRequestToken"):
        create("tailor_x")  # "_" is outside Bedrock's token pattern


def test_retention_keeps_the_newest_custom_models_and_never_the_served_one(
    bedrock,
    tailor_settings,
    moto_server,
):
    """Custom models accumulate (rejected ones are kept by default, a promoted one stays
    when the next is promoted), each billed for storage monthly: keep_custom_models keeps
    the newest N after a promotion, never the served one, and the night's cost counts them."""
    from tailor.evaluation.monthly_cost import monthly_cost
    from tailor.finetune.custom_models import record, recorded
    from tailor.finetune.registry import promote
    from tailor.prices import Prices
    from tailor_airflow.bedrock_customization import BedrockCustomModels
    from tailor_airflow.config import load_settings, models_root
    from tailor_airflow.promotion import clean_up_candidates

    bedrock_settings(tailor_settings, keep_custom_models=2)
    settings = load_settings()
    models, root = BedrockCustomModels(settings), models_root(settings)
    folder = f"s3://{BUCKET}/tailor/models/ft-202612060300-abcdef12"
    training = {"folder": folder, "customization_train_uri": f"{folder}/bedrock/train.jsonl"}
    names = [f"tailor-ft-20261{month}060300-abcdef12" for month in range(4)]  # oldest first
    for month, name in enumerate(names):
        models.submit(name, training, {"epochs": 1, "learning_rate": 1e-5})
        job = models.job(name)
        record(
            root,
            {
                "name": name,
                "arn": job["outputModelArn"],
                "version": name[7:],
                "candidate": name[7:],
                "created_at": f"2026-1{month}-06T03:00:00+00:00",
            },
        )
    served = recorded(root)[0]  # the oldest is still the one served
    promote(
        root,
        {
            "version": served["version"],
            "candidate": served["candidate"],
            "serving": "on_demand",
            "serving_name": served["name"],
            "serving_arn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/"
            "abcdef123456",
            "custom_model_arn": served["arn"],
        },
    )
    assert clean_up_candidates([]) == []
    client = admin_client("bedrock", endpoint_url=moto_server)
    left = sorted(m["modelName"] for m in client.list_custom_models()["modelSummaries"])
    assert left == [names[0], names[3]]  # the served one, and the newest
    assert [m["name"] for m in recorded(root)] == [names[0], names[3]]
    one, two = (
        monthly_cost("fine_tuned", Prices(), serving="on_demand", custom_models=n) for n in (1, 2)
    )
    assert two["monthly_cost_24x7"] - one["monthly_cost_24x7"] == pytest.approx(
        Prices().custom_model_storage_month
    )

"""kb_sync, nightly_eval and endpoint_schedule end to end on the `aws` backend, against moto.

S3 (test set, answers, scores, history, report, leases and endpoint events) is moto's,
reached through the `aws_default` connection's endpoint_url, exactly as on AWS. What moto
lacks (Bedrock retrieve/Converse/GetFoundationModel, SageMaker inference components and
invoke_endpoint) is answered with canned, realistic responses below the hooks' real botocore
clients (aws_http). This proves the DAG, XComs, mapped tasks and files work in aws mode.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.support.assets import asset_event_extras
from tests.support.aws_http import AwsError, install
from tests.support.aws_iam import ACCOUNT, admin_client
from tests.support.aws_night import (
    AWS_SETTINGS,
    BUCKET,
    COMPONENT,
    ENDPOINT,
    INGESTION_JOBS,
    JUDGES,
    NIGHT,
    ROLE,
    arn,
    async_clients_share_the_canned_http,
    canned_bedrock_and_components,
    canned_ingestion,
    canned_invocations,
    canned_preflight,
    described_component,
    retried,
    upload_catalog,
)
from tests.support.paths import REPO


def test_nightly_eval_runs_end_to_end_in_aws_mode(aws_mode, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    from tailor.evaluation.results import read_history
    from tailor_airflow.config import load_settings, storage_path

    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    dag = DagBag(dag_folder=str(REPO / "dags" / "nightly_eval.py")).get_dag("nightly_eval")
    run = dag.test(logical_date=NIGHT, run_conf={"sample_limit": 3})
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    # an online night: every approach answered and scored in its answer task, nothing left
    # for batch_jobs to map over (skipped by the scheduler, no worker started)
    assert states.pop(("batch_jobs", -1)) == "skipped"
    assert set(states.values()) == {"success"}, states
    assert not retried(run)

    s3 = aws_mode
    night = "tailor/evaluations/2026-11-20"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=night)["Contents"]}
    for name in (
        "rag.json",
        "fine_tuned.json",
        "hybrid.json",
        "base.json",
        "summary_results.csv",
        "judges.json",
        "report.html",
        "report.png",
    ):
        assert f"{night}/{name}" in keys, name
    hybrid = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{night}/hybrid.json")["Body"].read())
    assert len(hybrid) == 3 and hybrid[0]["chunk_ids"] == ["chunk-brewpro-0"]
    assert hybrid[0]["llm_response"] == "The BrewPro 3 tank holds 1.8 litres."
    assert hybrid[0]["us.amazon.nova-pro-v1:0"] == 0.7 and hybrid[0]["llm_evaluator_score"] == 0.7
    # diagnosed on aws too: the product retrieved first, the answer right and from its context
    assert hybrid[0]["chunk_products"] == ["Halden BrewPro 3 Espresso Machine"]
    diagnosis = hybrid[0]["diagnosis"]
    assert diagnosis["retrieval_rank"] == 1 and diagnosis["anatomy"] == "correct"
    assert diagnosis["context_support"] > 0.5 and diagnosis["unsupported_facts"] == []
    left_out = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"{night}/scores/left_out_judges.json")["Body"].read()
    )
    assert list(left_out) == ["anthropic.claude-3-haiku-20240307-v1:0"]  # LEGACY: left out
    summary = s3.get_object(Bucket=BUCKET, Key=f"{night}/summary_results.csv")["Body"].read()
    assert summary.decode().startswith(
        "method,avg_bert_score,avg_llm_evaluator_score,avg_inference_time"
    )
    rows = {r["method"]: r for r in csv.DictReader(io.StringIO(summary.decode()))}
    # the canned retrieval returns the BrewPro's chunk for every question: the third is about
    # the AeroClean, a miss (and so a retrieval miss if its answer is weak)
    assert rows["hybrid"]["retrieval_hit_rate"] == "0.6667"
    assert rows["fine_tuned"]["retrieval_hit_rate"] == ""  # no retrieval, no figure

    history = read_history(
        storage_path(load_settings(), f"s3://{BUCKET}/tailor") / "evaluations" / "history"
    )
    assert sorted(history["method"]) == ["base", "fine_tuned", "hybrid", "rag"]
    urls = [url for url, _ in http.requests]
    assert any("/model/us.meta.llama3-1-8b-instruct-v1%3A0/converse" in u for u in urls)
    assert any(f"/endpoints/{ENDPOINT}/invocations" in u for u in urls)
    leases = s3.list_objects_v2(Bucket=BUCKET, Prefix="tailor/endpoint/leases/")
    assert leases["KeyCount"] == 0  # the wake lease was released by the teardown
    assert any("SageMaker.DescribeInferenceComponent" in u for u in urls)  # wake looked first


def test_a_stale_night_emits_the_event_finetune_follows(aws_mode, monkeypatch):
    """flag_stale_fine_tune is never skipped (a skipped task's state lands only once Airflow
    has reaped its process, up to 5 s late: the night's last seconds); on a night whose
    fine_tuned gap is significant it emits `tailor_fine_tune_stale` through its alias, with
    the gap. (When the gap is significant: tests/unit/test_staleness.py; no event on other nights:
    tests/dags/test_nightly_eval_dag.py.)"""
    from airflow.dag_processing.dagbag import DagBag

    import tailor_airflow.evaluation

    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    gap = {
        "date": "2026-11-20",
        "model_version": "ft-1",
        "llm_evaluator_gap": 0.2,
        "llm_evaluator_gap_ci_low": 0.1,
        "llm_evaluator_gap_ci_high": 0.3,
    }
    monkeypatch.setattr(
        tailor_airflow.evaluation,
        "flag_stale_fine_tune",
        lambda date: gap if date == gap["date"] else None,
    )
    before = asset_event_extras("tailor_fine_tune_stale")
    dag = DagBag(dag_folder=str(REPO / "dags" / "nightly_eval.py")).get_dag("nightly_eval")
    run = dag.test(logical_date=NIGHT, run_conf={"sample_limit": 1, "approaches": ["rag"]})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["flag_stale_fine_tune"] == "success"
    assert asset_event_extras("tailor_fine_tune_stale") == [*before, gap]


def test_kb_sync_ingests_the_s3_catalog_once_then_skips(aws_mode, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    s3 = aws_mode
    upload_catalog(s3)
    http = install(monkeypatch, passthrough=True)
    async_clients_share_the_canned_http(monkeypatch)
    canned_ingestion(http)
    dag = DagBag(dag_folder=str(REPO / "dags" / "kb_sync.py")).get_dag("kb_sync")

    first = dag.test()
    assert {ti.state for ti in first.get_task_instances()} == {"success"}
    started = [(url, body) for url, body in http.requests if url.startswith("PUT")]
    assert len(started) == 1 and INGESTION_JOBS in started[0][0]
    assert started[0][1]["clientToken"]  # a retry re-attaches instead of starting another
    state = s3.list_objects_v2(Bucket=BUCKET, Prefix="tailor/kb_sync/")["Contents"]
    assert any(o["Key"].endswith("last_synced.json") for o in state)

    second = dag.test()
    states = {ti.task_id: ti.state for ti in second.get_task_instances()}
    assert states["sync_knowledge_base"] == "skipped"  # unchanged catalog: no job
    assert len([u for u, _ in http.requests if u.startswith("PUT")]) == 1


def test_endpoint_schedule_scales_the_component_and_records_events_in_s3(
    aws_mode, monkeypatch, tailor_settings, moto_server
):
    """Copies through canned inference components; scale-out-from-zero registered in moto's
    application-autoscaling and CloudWatch."""
    from airflow.dag_processing.dagbag import DagBag

    tailor_settings(**AWS_SETTINGS, inference_component_name=COMPONENT, autoscale_from_zero=True)
    http = install(monkeypatch, passthrough=True)
    async_clients_share_the_canned_http(monkeypatch)
    copies = {"current": 1}

    def describe(url, body):
        return described_component(COMPONENT, copies["current"])

    def update(url, body):
        copies["current"] = body["DesiredRuntimeConfig"]["CopyCount"]
        return {"InferenceComponentArn": arn(f"inference-component/{COMPONENT}")}

    http.respond("SageMaker.DescribeInferenceComponent", describe)
    http.respond("SageMaker.UpdateInferenceComponentRuntimeConfig", update)
    # moto's application-autoscaling lacks the inference-component dimension: canned here
    target_id = "0ec2b4a1d5e3f6a7b8c9d0e1f2a3b4c5d6e7"
    http.respond(
        "AnyScaleFrontendService.RegisterScalableTarget",
        lambda url, body: {
            "ScalableTargetARN": f"arn:aws:application-autoscaling:us-east-1:{ACCOUNT}:"
            f"scalable-target/{target_id}"
        },
    )
    http.respond(
        "AnyScaleFrontendService.PutScalingPolicy",
        lambda url, body: {
            "PolicyARN": f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:scalingPolicy:{target_id}:"
            f"resource/sagemaker/inference-component/{COMPONENT}:"
            f"policyName/{body['PolicyName']}"
        },
    )
    dag = DagBag(dag_folder=str(REPO / "dags" / "endpoint_schedule.py")).get_dag(
        "endpoint_schedule"
    )
    run = dag.test(run_conf={"target_copies": 0})
    assert {ti.state for ti in run.get_task_instances()} <= {"success", "skipped"}
    assert not retried(run)
    assert copies["current"] == 0
    updates = [
        body for url, body in http.requests if "UpdateInferenceComponentRuntimeConfig" in url
    ]
    assert updates == [
        {"InferenceComponentName": COMPONENT, "DesiredRuntimeConfig": {"CopyCount": 0}}
    ]
    s3 = aws_mode
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="tailor/endpoint/")["Contents"]
    ]
    assert any("/events/" in k for k in keys) and any("/cost/" in k for k in keys)
    (target,) = [b for u, b in http.requests if "RegisterScalableTarget" in u]
    assert target["ResourceId"] == f"inference-component/{COMPONENT}"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 1)
    aws = {"endpoint_url": moto_server, "region_name": "us-east-1"}
    (alarm,) = admin_client("cloudwatch", **aws).describe_alarms()["MetricAlarms"]  # moto's
    assert alarm["MetricName"] == "NoCapacityInvocationFailures"
    assert alarm["AlarmActions"][0].endswith("scale-out-from-zero")


def test_finetune_trains_stages_gates_and_promotes_in_aws_mode(
    aws_mode, monkeypatch, tailor_settings
):
    """A sweep of two: training jobs in moto's SageMaker, waited on by the provider's
    SageMakerTrigger; the candidates' models in moto; inference components, endpoint and
    answers canned. The winner is served, the loser cleaned up."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    from tailor_airflow.scaling_triggers import _SageMakerTrigger
    from tests.support.aws_stubs import AsyncClient
    from tests.support.jumpstart_hub import answer_hub_content, hosting_image, training_image

    s3 = aws_mode
    tailor_settings(
        **AWS_SETTINGS,
        training_role_arn=ROLE,
        gate_questions=2,  # serving image: JumpStart's
        inference_instance_type="ml.g4dn.12xlarge",  # moto's instance-type list predates g5
    )
    upload_catalog(s3)
    http = install(monkeypatch, passthrough=True)
    canned_ingestion(http)
    answer_hub_content(http)  # the sagemaker SDK builds the real JumpStart request
    # the SDK makes its own clients from the connection's session: they reach moto too
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_mode.meta.endpoint_url)

    async def canned_async_conn(self):  # the ingestion trigger: Bedrock is canned
        return AsyncClient(self.conn)

    async def canned_client(self):  # our copy-count triggers: components are canned
        return AsyncClient(
            SageMakerHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).conn
        )

    monkeypatch.setattr(_SageMakerTrigger, "client", canned_client)
    monkeypatch.setattr(BedrockAgentHook, "get_async_conn", canned_async_conn)
    components: dict[str, dict] = {}

    def create_component(url, body):
        components[body["InferenceComponentName"]] = body
        return {
            "InferenceComponentArn": arn(f"inference-component/{body['InferenceComponentName']}")
        }

    def describe_component(url, body):
        name = body["InferenceComponentName"]
        if name not in components:
            raise AwsError("ValidationException", f"Could not find inference component {name}")
        return described_component(name, copies=1)

    endpoints: dict[str, dict] = {}  # moto 5.2.5 fails on ManagedInstanceScaling configs

    def create_endpoint(url, body):
        endpoints[body.get("EndpointName") or body["EndpointConfigName"]] = body
        if "EndpointConfigName" in body and "EndpointName" not in body:
            return {"EndpointConfigArn": arn(f"endpoint-config/{body['EndpointConfigName']}")}
        return {"EndpointArn": arn(f"endpoint/{body['EndpointName']}")}

    def describe_endpoint(url, body):
        name = body.get("EndpointName") or body["EndpointConfigName"]
        if name not in endpoints:
            raise AwsError("ValidationException", f"Could not find endpoint {name}")
        if "EndpointName" in body:
            return {
                "EndpointName": name,
                "EndpointArn": arn(f"endpoint/{name}"),
                "EndpointConfigName": endpoints[name]["EndpointConfigName"],
                "EndpointStatus": "InService",
                "CreationTime": 1763600000,
                "LastModifiedTime": 1763600000,
            }
        return {
            **endpoints[name],
            "EndpointConfigArn": arn(f"endpoint-config/{name}"),
            "CreationTime": 1763600000,
        }

    for operation in ("CreateEndpointConfig", "CreateEndpoint"):
        http.respond(f"SageMaker.{operation}", create_endpoint)
    for operation in ("DescribeEndpointConfig", "DescribeEndpoint"):
        http.respond(f"SageMaker.{operation}", describe_endpoint)
    http.respond("SageMaker.CreateInferenceComponent", create_component)
    http.respond("SageMaker.DescribeInferenceComponent", describe_component)
    http.respond(
        "SageMaker.DeleteInferenceComponent",
        lambda url, body: components.pop(body["InferenceComponentName"]) and {},
    )

    def never_registered(url, body):  # moto lacks the inference-component dimension
        raise AwsError("ObjectNotFoundException", "No scalable target registered")

    http.respond("AnyScaleFrontendService.DeregisterScalableTarget", never_registered)
    canned_invocations(http)

    bag = DagBag(dag_folder=str(REPO / "dags"))
    synced = {ti.state for ti in bag.get_dag("kb_sync").test().get_task_instances()}
    assert synced <= {"success", "skipped"}  # skipped: an earlier test synced this catalog
    sweep = [{"learning_rate": 0.0001}, {"learning_rate": 0.0005}]
    run = bag.get_dag("finetune").test(run_conf={"max_steps": 0, "sweep": sweep})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
    assert not retried(run)  # a retry must not hide a failure (it once hid the endpoint wait's)

    current = json.loads(
        s3.get_object(Bucket=BUCKET, Key="tailor/models/current.json")["Body"].read()
    )
    # equal answers: the first candidate wins; the second's component and model are gone
    assert list(components) == [current["inference_component"]]  # promoted: traffic goes there
    assert current["candidate"] == f"{current['version']}-1"
    sagemaker = admin_client("sagemaker", endpoint_url=aws_mode.meta.endpoint_url)
    jobs = sorted(
        j["TrainingJobName"] for j in sagemaker.list_training_jobs()["TrainingJobSummaries"]
    )
    assert jobs == [f"tailor-{current['version']}-{n}" for n in (1, 2)]  # one name per candidate
    assert current["inference_component"] == jobs[0]
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == [jobs[0]]
    rates = [
        sagemaker.describe_training_job(TrainingJobName=j)["HyperParameters"]["learning_rate"]
        for j in jobs
    ]
    assert rates == ["0.0001", "0.0005"]
    lineage = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"tailor/models/{current['version']}/lineage.json")[
            "Body"
        ].read()
    )
    assert [c["name"] for c in lineage["candidates"]] == [j.removeprefix("tailor-") for j in jobs]
    assert lineage["cleaned_up"] == [jobs[1].removeprefix("tailor-")]
    described = sagemaker.describe_training_job(TrainingJobName=jobs[0])
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] == 12 * 3600  # not 1 h
    assert described["AlgorithmSpecification"]["TrainingImage"] == training_image()  # the hub's
    assert described["HyperParameters"]["instruction_tuned"] == "True"
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in described["InputDataConfig"]
    }
    assert channels["training"].startswith(f"s3://{BUCKET}/tailor/models/")
    assert channels["sm_drivers"].startswith(f"s3://{BUCKET}/tailor/")  # staged in Tailor's bucket
    assert described["OutputDataConfig"]["S3OutputPath"].startswith(f"s3://{BUCKET}/tailor/models/")
    assert endpoints[ENDPOINT]["EndpointConfigName"] == f"{ENDPOINT}-components"
    scaling = endpoints[f"{ENDPOINT}-components"]["ProductionVariants"][0]["ManagedInstanceScaling"]
    assert scaling["MinInstanceCount"] == 0  # the endpoint can scale to zero
    assert scaling["MaxInstanceCount"] == 5  # the served copy, and room for 4 candidates
    model = sagemaker.describe_model(ModelName=current["inference_component"])["PrimaryContainer"]
    # from the hub document's top-ranked inference config (lmi), for the g4dn family
    assert model["Image"] == hosting_image("ml.g4dn.12xlarge")
    assert model["Environment"]["SM_NUM_GPUS"] == "4"  # the copy's GPUs, over the default 1
    assert model["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"  # the document's container env
    train = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"tailor/models/{current['version']}/train/")
    assert train["KeyCount"] >= 1  # the training channel was written to S3


def test_preflight_says_go_from_the_cli_and_the_dag(preflight_ready, capsys):
    from airflow.dag_processing.dagbag import DagBag

    from tailor_airflow.preflight import main

    canned_preflight(preflight_ready)
    assert main(["preflight"]) == 0
    out = capsys.readouterr().out
    for check in (
        "settings",
        "bucket",
        "knowledge base",
        "bedrock models",
        "execution role",
        "service quotas",
        "endpoint",
    ):
        assert re.search(rf"^OK\s+{check}\b", out, re.M), out
    assert "FAIL" not in out and "absent: finetune creates it" in out

    dag = DagBag(dag_folder=str(REPO / "dags" / "tailor_preflight.py")).get_dag("tailor_preflight")
    (ti,) = dag.test().get_task_instances()
    assert ti.state == "success"


def test_preflight_for_bedrock_customization_checks_its_role_and_nothing_of_sagemaker(
    preflight_ready, tailor_settings, moto_server, capsys
):
    from tailor_airflow.preflight import main

    trust = (REPO / "iam" / "bedrock-customization-role-trust.json").read_text()
    admin_client("iam", endpoint_url=moto_server).create_role(
        RoleName="tailor-bedrock-customization", AssumeRolePolicyDocument=trust
    )
    tailor_settings(
        **{**AWS_SETTINGS, "judges": JUDGES[:2], "endpoint_name": None},
        finetune_service="bedrock",
        customization_role_arn=f"arn:aws:iam::{ACCOUNT}:role/tailor-bedrock-customization",
    )
    canned_preflight(preflight_ready)
    assert main(["preflight"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"^OK\s+customization role .*trusted by \['bedrock.amazonaws.com'\]", out, re.M
    ), out
    assert "service quotas" not in out and "endpoint" not in out and "FAIL" not in out


def test_preflight_names_each_problem_with_its_fix_and_exits_non_zero(preflight_ready, capsys):
    from tailor_airflow.preflight import main

    canned_preflight(
        preflight_ready, catalog_prefix="elsewhere/", training_quota=0.0, authorized=False
    )
    assert main(["preflight"]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"^FAIL\s+knowledge base .*not the catalog at s3://tailor-e2e/tailor/catalog", out, re.M
    )
    assert re.search(
        r"^FAIL\s+service quotas\s+ml.g5.12xlarge for training job usage: 0 \(need 1\)", out, re.M
    )
    assert re.search(r"^FAIL\s+bedrock models .*authorization NOT_AUTHORIZED", out, re.M)
    assert out.count("fix: ") == 3 and re.search(r"^OK\s+bucket", out, re.M)


def test_training_job_is_submitted_once_and_a_retry_reattaches(
    aws_mode, monkeypatch, tailor_settings
):
    """The sagemaker SDK's own JumpStart request (hub document: tests/support/jumpstart_hub.py), submitted
    under the candidate's name with its hyperparameters; a retry finds the job in moto instead
    of submitting a second."""
    from airflow.sdk.exceptions import TaskDeferred

    from tailor_airflow.sagemaker_model import resource_name
    from tailor_airflow.training import TrainModelOperator
    from tests.support.finetune_run import SWEEP, context
    from tests.support.jumpstart_hub import answer_hub_content, training_image

    version = "ft-202611210300-abcdef12"
    tailor_settings(**AWS_SETTINGS, training_role_arn=ROLE)
    answer_hub_content(install(monkeypatch, passthrough=True))
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_mode.meta.endpoint_url)
    reattached = []
    monkeypatch.setattr(
        TrainModelOperator,
        "after_training",
        lambda self, ctx, event: reattached.append(event) or {"reattached": True},
    )
    train_uri = f"s3://{BUCKET}/tailor/models/{version}/train"
    aws_mode.put_object(Bucket=BUCKET, Key=f"tailor/models/{version}/train/train.jsonl", Body=b"{}")
    training = {"version": version, "method": "instruction_tuning", "train_uri": train_uri}
    with pytest.raises(TaskDeferred) as deferred:
        TrainModelOperator(task_id="train", training=training, candidate=SWEEP[1]).execute(
            context()
        )
    trigger = deferred.value.trigger
    name = resource_name(f"{version}-2")  # the sweep's second candidate
    assert (type(trigger).__name__, trigger.job_name, trigger.job_type) == (
        "SageMakerTrigger",
        name,
        "Training",
    )
    sagemaker = admin_client("sagemaker", endpoint_url=aws_mode.meta.endpoint_url)
    job = sagemaker.describe_training_job(TrainingJobName=name)
    assert job["HyperParameters"]["instruction_tuned"] == "True"
    assert job["HyperParameters"]["lora_r"] == "8"  # the hub document's defaults kept
    assert job["HyperParameters"]["learning_rate"] == "0.0005"  # the candidate's, not the run's
    assert (job["RoleArn"], job["AlgorithmSpecification"]["TrainingImage"]) == (
        ROLE,
        training_image(),
    )
    assert (
        job["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/tailor/models/{version}/output"
    )

    retry = TrainModelOperator(task_id="train", training=training, candidate=SWEEP[1])
    assert retry.execute(context()) == {"reattached": True}  # moto finished it: no second job
    names = [j["TrainingJobName"] for j in sagemaker.list_training_jobs()["TrainingJobSummaries"]]
    assert names == [name]


def test_a_model_without_a_serving_image_fails_before_any_training_job(
    aws_mode, monkeypatch, tailor_settings
):
    from tailor_airflow.training import TrainModelOperator
    from tests.support.finetune_run import CANDIDATE
    from tests.support.jumpstart_hub import answer_hub_content

    tailor_settings(**AWS_SETTINGS, training_role_arn=ROLE)
    answer_hub_content(
        install(monkeypatch, passthrough=True),
        without=("HostingEcrUri", "InferenceConfigComponents"),
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_mode.meta.endpoint_url)
    training = {
        "version": "ft-202611210300-abcdef12",
        "method": "instruction_tuning",
        "train_uri": f"s3://{BUCKET}/tailor/models/ft-202611210300-abcdef12/train",
    }
    with pytest.raises(RuntimeError, match="names no serving image for ml.g5.12xlarge"):
        TrainModelOperator(task_id="train", training=training, candidate=CANDIDATE).execute(
            {"params": {}}
        )
    sagemaker = admin_client("sagemaker", endpoint_url=aws_mode.meta.endpoint_url)
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []  # nothing was paid for

"""nightly_eval's Bedrock batch path under the strict aws emulation.

A night of `batch_threshold` questions: rag and base answer through batch jobs, every judge of
the panel scores every approach in a job of its own (tests/support/bedrock_batch.py: jobs run as the
service role under its shipped policy, from the records in moto's S3), the fine-tuned model's
approaches answer online; every call held to the shipped Airflow policy.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import cycle, islice

import pytest
from botocore.stub import ANY

from tests.support.aws_http import install
from tests.support.aws_iam import ACCOUNT, shipped_policy, with_models
from tests.support.aws_night import (
    AWS_SETTINGS,
    BUCKET,
    COMPONENT,
    JUDGES,
    NIGHT,
    canned_bedrock_and_components,
    retried,
)
from tests.support.aws_stubs import stubbed_hook, trigger_events
from tests.support.bedrock_batch import BatchQuota, BedrockBatch
from tests.support.paths import REPO, SAMPLE_TEST_SET

BATCH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/tailor-bedrock-batch"
JOB = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/"
SITTING = JUDGES[:2]  # the third is LEGACY: left out by the preflight
MODEL = "us.meta.llama3-1-8b-instruct-v1:0"  # rag_model_id


NIGHT_FOLDER = "tailor/evaluations/2026-11-20"


def successful_night(s3):
    """nightly_eval for NIGHT through dag.test, every task succeeding at its first try; the
    night's stored JSON files, by key under the night's folder."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags" / "nightly_eval.py")).get_dag("nightly_eval")
    run = dag.test(logical_date=NIGHT)
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
    assert not retried(run)

    def stored(key: str):
        return json.loads(s3.get_object(Bucket=BUCKET, Key=f"{NIGHT_FOLDER}/{key}")["Body"].read())

    return stored


def large_test_set(size: int) -> bytes:
    """The sample test set's cases, cycled to `size` distinct questions."""
    cases = json.loads(SAMPLE_TEST_SET.read_text())
    return json.dumps(
        [
            {**c, "question": f"{c['question']} (#{i})"}
            for i, c in enumerate(islice(cycle(cases), size))
        ]
    ).encode()


def test_a_large_night_answers_and_judges_through_bedrock_batch_jobs(
    aws_mode,
    tailor_settings,
    monkeypatch,
):

    from tailor.evaluation.judging import control_items
    from tailor.evaluation.night_store import file_name
    from tailor.prices import Prices

    s3 = aws_mode
    s3.put_object(Bucket=BUCKET, Key="tailor/test_set.json", Body=large_test_set(100))
    tailor_settings(
        **AWS_SETTINGS,
        inference_component_name=COMPONENT,
        batch_role_arn=BATCH_ROLE,
        batch_poll_seconds=1,
    )
    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    role = shipped_policy(
        "bedrock-batch-role-policy.json",
        Region="us-east-1",
        Account=ACCOUNT,
        Bucket=BUCKET,
        Prefix="tailor",
    )
    batch = BedrockBatch(
        s3, with_models(role, [JUDGES[-1]]), http.responders["/converse"], fail_records={3}
    ).install(http)
    stored = successful_night(s3)

    # two answer jobs and a job per sitting judge and approach; record 3 failed in each
    assert len(batch.jobs) == 2 + 4 * len(SITTING)
    assert {job.status for job in batch.jobs.values()} == {"PartiallyCompleted"}
    for approach in ("rag", "base"):
        answers = stored(f"answers/{approach}.json")
        assert answers["path"] == "batch"
        assert all(a["llm_response"] == "It holds 1.8 litres." for a in answers["answers"])
        # a job has no latency per answer, and one answer asked online is no mean
        assert all(a["generation_seconds"] is None for a in answers["answers"])
    for approach in ("fine_tuned", "hybrid"):
        assert stored(f"answers/{approach}.json")["path"] == "online"
    for approach in ("rag", "base", "fine_tuned", "hybrid"):
        for judge in SITTING:
            judged = stored(f"scores/judges/{file_name(judge)}/{approach}.json")
            assert judged["path"] == "batch"
            assert len(judged["scores"]) == 100 and None not in judged["scores"].values()

    # online: each answer job's failed record, each judge job's, and the controls
    cases = stored("cases.json")
    controls = control_items(cases, AWS_SETTINGS["judge_controls"], seed="2026-11-20")
    online = [url for url, _ in http.requests if "/converse" in url]
    assert len(online) == 2 + 4 * len(SITTING) + len(controls) * len(SITTING)

    summary = {
        row["method"]: row
        for row in csv.DictReader(
            io.StringIO(
                s3.get_object(Bucket=BUCKET, Key=f"{NIGHT_FOLDER}/summary_results.csv")["Body"]
                .read()
                .decode()
            )
        )
    }
    prices = Prices()
    per_answer = (
        310 * prices.bedrock_input_per_1k_tokens + 12 * prices.bedrock_output_per_1k_tokens
    ) / 1000  # the canned usage
    # 99 answers at the batch price, the one asked online at the on-demand price: the
    # summary prices the night at its path's rate
    assert float(summary["rag"]["night_token_cost"]) == pytest.approx(
        100 * per_answer * prices.bedrock_batch_price_factor, abs=1e-6
    )
    assert summary["rag"]["answer_path"] == "batch" and summary["rag"]["judge_path"] == "batch"
    assert summary["hybrid"]["answer_path"] == "online"
    assert summary["hybrid"]["night_token_cost"] == ""  # the endpoint bills by the hour
    assert summary["hybrid"]["avg_inference_time"] and not summary["rag"]["avg_inference_time"]


def test_a_night_below_the_threshold_stays_online(aws_mode, tailor_settings, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    tailor_settings(
        **AWS_SETTINGS,
        inference_component_name=COMPONENT,
        batch_role_arn=BATCH_ROLE,
        batch_poll_seconds=1,
    )
    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    batch = BedrockBatch(aws_mode, {}, http.responders["/converse"]).install(http)
    dag = DagBag(dag_folder=str(REPO / "dags" / "nightly_eval.py")).get_dag("nightly_eval")
    run = dag.test(logical_date=NIGHT, run_conf={"sample_limit": 3})
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states.pop(("batch_jobs", -1)) == "skipped"  # nothing to map over
    assert set(states.values()) == {"success"}, states
    assert not batch.jobs


# ---- the job calls and the wait, at the hook boundary -----------------------------------------
def described_job(name: str, status: str, message: str = "") -> dict:
    """GetModelInvocationJob as Bedrock answers it (every required member)."""
    job = {
        "jobArn": JOB + "abc123def456",
        "jobName": name,
        "roleArn": BATCH_ROLE,
        "modelId": "us.meta.llama3-1-8b-instruct-v1:0",
        "status": status,
        "submitTime": NIGHT,
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/in.jsonl"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}},
    }
    return {**job, "message": message} if message else job


def test_the_wait_ends_when_every_job_has_ended_and_keeps_partial_jobs(monkeypatch):
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.batch_inference import BatchJobsTrigger

    first, second = JOB + "aaaaaaaaaaaa", JOB + "bbbbbbbbbbbb"
    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        for first_state, second_state in (
            ("InProgress", "Validating"),
            ("PartiallyCompleted", "Scheduled"),
            ("PartiallyCompleted", "Failed"),
        ):
            stub.add_response(
                "get_model_invocation_job",
                described_job("a", first_state),
                {"jobIdentifier": first},
            )
            stub.add_response(
                "get_model_invocation_job",
                described_job("b", second_state),
                {"jobIdentifier": second},
            )
        events = trigger_events(BatchJobsTrigger([first, second], poll_interval=0))
    assert events == [{"status": "done", "jobs": {first: "PartiallyCompleted", second: "Failed"}}]


def test_the_wait_gives_up_after_its_attempts_with_what_it_saw(monkeypatch):
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.batch_inference import BatchJobsTrigger

    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        for _ in range(2):
            stub.add_response("get_model_invocation_job", described_job("a", "InProgress"))
        events = trigger_events(BatchJobsTrigger([JOB + "a" * 12], poll_interval=0, max_attempts=2))
    assert events == [{"status": "timeout", "jobs": {JOB + "a" * 12: "InProgress"}}]


def test_a_failed_job_is_an_error_with_its_message(tmp_path, tailor_settings, monkeypatch):
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.batch_inference import job_replies
    from tailor_airflow.config import load_settings

    tailor_settings(
        backend="aws", region_name="us-east-1", data_root=str(tmp_path), batch_role_arn=BATCH_ROLE
    )
    name = "tailor-2026-11-20-rag-0123456789"
    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        stub.add_response(
            "get_model_invocation_job",
            described_job(name, "Failed", "The records could not be read"),
        )
        with pytest.raises(RuntimeError, match=f"batch job {name} ended Failed: The records"):
            job_replies(load_settings(), JOB + "abc123def456", 100)


def created(name: str) -> dict:
    """CreateModelInvocationJob's request for the attempt `name`: its own client token."""
    from tailor.client_tokens import creation_token

    return {
        "jobName": name,
        "clientRequestToken": creation_token(name, "batch job"),
        "roleArn": BATCH_ROLE,
        "modelId": MODEL,
        "modelInvocationType": "Converse",
        "inputDataConfig": ANY,
        "outputDataConfig": ANY,
        "timeoutDurationInHours": 24,
    }


def test_a_retry_finds_its_job_by_the_stored_arn_and_a_failed_one_gets_a_new_name_and_token(
    tmp_path, tailor_settings, monkeypatch
):
    """Bedrock answers a remembered client token with the first request's reply: a retry
    after a job failed must not send that job's token again, and a retry while it runs must
    find it by the ARN stored before creating anything."""
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.batch_inference import submit_job
    from tailor_airflow.config import load_settings, storage_path

    tailor_settings(
        backend="aws", region_name="us-east-1", data_root=str(tmp_path), batch_role_arn=BATCH_ROLE
    )
    settings = load_settings()
    folder = storage_path(settings, (tmp_path / "batch").as_uri())
    name = "tailor-2026-11-20-rag-0123456789"
    first, second = JOB + "abc123def456", JOB + "fff123def456"
    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        stub.add_response("create_model_invocation_job", {"jobArn": first}, created(name))
        assert submit_job(settings, folder, name, MODEL, b"{}\n", 100, 100) == first
        # a retry while it runs: found by its stored ARN, nothing created
        stub.add_response(
            "get_model_invocation_job", described_job(name, "InProgress"), {"jobIdentifier": first}
        )
        assert submit_job(settings, folder, name, MODEL, b"{}\n", 100, 100) == first
        # it failed: the next attempt, under a new name and a new token
        stub.add_response(
            "get_model_invocation_job",
            described_job(name, "Failed", "Bad"),
            {"jobIdentifier": first},
        )
        stub.add_response("create_model_invocation_job", {"jobArn": second}, created(f"{name}-r2"))
        assert submit_job(settings, folder, name, MODEL, b"{}\n", 100, 100) == second
    stored = json.loads((tmp_path / "batch" / "job.json").read_text())
    assert stored == {
        "name": name,
        "attempts": [{"name": name, "arn": first}, {"name": f"{name}-r2", "arn": second}],
    }
    assert (tmp_path / "batch" / "records.jsonl").read_bytes() == b"{}\n"


def test_a_retry_after_the_answer_job_failed_starts_it_again_on_the_same_records(
    tmp_path, tailor_settings, monkeypatch
):
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.batch_night import answer_job

    tailor_settings(
        backend="aws", region_name="us-east-1", data_root=str(tmp_path), batch_role_arn=BATCH_ROLE
    )
    folder = tmp_path / "evaluations" / "2026-11-20" / "batch" / "rag"
    folder.mkdir(parents=True)
    records = b'{"recordId": "R0000000000", "modelInput": {}}\n'
    (folder / "records.jsonl").write_bytes(records)
    name = "tailor-2026-11-20-rag-0123456789"
    (folder / "pending.json").write_text(
        json.dumps(
            {"attempt": "run#0", "name": name, "job": JOB + "abc123def456", "prompts": ["q"] * 100}
        )
    )
    (folder / "job.json").write_text(
        json.dumps({"name": name, "attempts": [{"name": name, "arn": JOB + "abc123def456"}]})
    )
    assert answer_job("rag", "2026-11-20", "run#1") is None  # a cleared run's
    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        stub.add_response(
            "get_model_invocation_job",
            described_job(name, "Failed", "Bad"),
            {"jobIdentifier": JOB + "abc123def456"},
        )
        stub.add_response(
            "create_model_invocation_job", {"jobArn": JOB + "fff123def456"}, created(f"{name}-r2")
        )
        assert answer_job("rag", "2026-11-20", "run#0") == JOB + "fff123def456"
    assert json.loads((folder / "pending.json").read_text())["job"] == JOB + "fff123def456"
    assert (folder / "records.jsonl").read_bytes() == records


# ---- what AWS answers unexpectedly: under the strict emulation ---------------------------------
def batch_service(s3, http, **options) -> BedrockBatch:
    """The batch emulator on the night's canned Converse, the batch role under its shipped
    policy (with the judge a user adds)."""
    role = shipped_policy(
        "bedrock-batch-role-policy.json",
        Region="us-east-1",
        Account=ACCOUNT,
        Bucket=BUCKET,
        Prefix="tailor",
    )
    return BedrockBatch(
        s3, with_models(role, [JUDGES[-1]]), http.responders["/converse"], **options
    ).install(http)


def test_a_finished_job_without_its_output_or_short_of_its_manifest_fails_loudly(
    aws_mode,
    tailor_settings,
    monkeypatch,
):
    """A Completed job whose output file is missing was read as "every record failed", and
    the night asked every record again online: twice the bill, silently."""
    from tailor.evaluation.batch import converse_records
    from tailor_airflow.batch_inference import (
        BatchOutputMissing,
        job_replies,
        jobs_trigger,
        submit_job,
    )
    from tailor_airflow.config import load_settings, storage_path
    from tests.support.aws_stubs import trigger_events

    s3 = aws_mode
    tailor_settings(**AWS_SETTINGS, batch_role_arn=BATCH_ROLE, batch_poll_seconds=1)
    settings = load_settings()
    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    batch_service(s3, http, lose_output={"-lost-"})
    records = converse_records([f"Question {i}?" for i in range(100)], {"maxTokens": 64})
    night = f"s3://{BUCKET}/tailor/evaluations/2026-11-20/batch"
    jobs = {
        part: submit_job(
            settings,
            storage_path(settings, f"{night}/{part}"),
            f"tailor-2026-11-20-{part}-0123456789",
            MODEL,
            records,
            100,
            100,
        )
        for part in ("lost", "cut")
    }
    (event,) = trigger_events(jobs_trigger(settings, list(jobs.values())))
    assert set(event["jobs"].values()) == {"Completed"}

    lost = jobs["lost"].rsplit("/", 1)[1]
    with pytest.raises(
        BatchOutputMissing,
        match=rf"ended Completed but its output "
        rf"s3://.*/lost/output/{lost}/records.jsonl.out is missing \(manifest "
        r"s3://.*manifest.json.out: \{'totalRecordCount': 100",
    ):
        job_replies(settings, jobs["lost"], 100)

    cut = jobs["cut"].rsplit("/", 1)[1]
    key = f"tailor/evaluations/2026-11-20/batch/cut/output/{cut}/records.jsonl.out"
    lines = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines(keepends=True)
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"".join(lines[:-1]))  # a truncated output
    with pytest.raises(
        BatchOutputMissing, match="its manifest counts 100 answered records, its output holds 99"
    ):
        job_replies(settings, jobs["cut"], 100)
    assert not [url for url, _ in http.requests if "/converse" in url]  # nothing asked online


def test_a_model_bedrock_will_not_batch_and_a_judge_above_its_minimum_go_online(
    aws_mode,
    tailor_settings,
    monkeypatch,
    caplog,
):
    """CreateModelInvocationJob refuses rag_model_id (ValidationException): rag and base
    answer online with one warning naming the model, and are still judged in batch. Nova
    Pro's minimum records per job is 1,000 (read from Service Quotas' AWS defaults: no applied
    value is known): with 100 answers it judges online; Gemma's 100 is met: batch."""

    from tailor.evaluation.night_store import file_name

    s3 = aws_mode
    s3.put_object(Bucket=BUCKET, Key="tailor/test_set.json", Body=large_test_set(100))
    tailor_settings(
        **AWS_SETTINGS,
        inference_component_name=COMPONENT,
        batch_role_arn=BATCH_ROLE,
        batch_poll_seconds=1,
    )
    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    refused = f"The model {MODEL} does not support batch inference with an inference profile"
    batch = batch_service(
        s3,
        http,
        refuse_models={MODEL: refused},
        quotas={
            SITTING[0]: BatchQuota("Nova Pro V1", 1000, applied=False),
            SITTING[1]: BatchQuota("Gemma 3 27B IT", 100),
        },
    )
    with caplog.at_level("WARNING"):
        stored = successful_night(s3)

    warned = [r.getMessage() for r in caplog.records if "refused a batch job" in r.getMessage()]
    assert len(warned) == 1 and MODEL in warned[0] and refused in warned[0]
    for approach in ("rag", "base", "fine_tuned", "hybrid"):
        answers = stored(f"answers/{approach}.json")
        assert answers["path"] == "online" and len(answers["answers"]) == 100
        assert stored(f"scores/judges/{file_name(SITTING[0])}/{approach}.json")["path"] == "online"
        judged = stored(f"scores/judges/{file_name(SITTING[1])}/{approach}.json")
        assert judged["path"] == "batch" and None not in judged["scores"].values()
    assert sorted(j.request["modelId"] for j in batch.jobs.values()) == [SITTING[1]] * 4


def test_a_batch_night_keeps_rag_and_base_when_the_fine_tuned_throughput_is_gone(
    aws_mode,
    tailor_settings,
    monkeypatch,
    moto_server,
):
    """A Llama custom model on provisioned throughput is on record; the night wakes it, the
    endpoint's approaches answer, and it is deleted (off-hours) before the batch jobs end.
    rag's and base's batch answers must not need it: today they failed resolving it."""
    from tailor.finetune.registry import promote
    from tailor_airflow.config import load_settings, models_root
    from tests.support.bedrock_custom_models import BedrockCustomModelService

    s3 = aws_mode
    s3.put_object(Bucket=BUCKET, Key="tailor/test_set.json", Body=large_test_set(100))
    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "never")  # down at night but for leases
    monkeypatch.setenv("TAILOR_ENDPOINT_DOWN_CRON", "0 0 * * *")
    tailor_settings(
        **AWS_SETTINGS,
        finetune_service="bedrock",
        customization_base_model="meta.llama3-1-8b-instruct-v1:0:128k",
        customization_role_arn=f"arn:aws:iam::{ACCOUNT}:role/tailor-bedrock-customization",
        batch_role_arn=BATCH_ROLE,
        batch_poll_seconds=1,
    )
    http = install(monkeypatch, passthrough=True)
    canned_bedrock_and_components(http)
    service = BedrockCustomModelService(moto_server, http.responders["/converse"]).install(http)
    name = "tailor-ft-202612060300-abcdef12"
    model = (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/"
        "meta.llama3-1-8b-instruct-v1:0:128k/abcdef123456"
    )
    promote(
        models_root(load_settings()),
        {
            "version": "ft-202612060300-abcdef12",
            "candidate": "ft-202612060300-abcdef12",
            "serving": "provisioned",
            "serving_name": name,
            "custom_model_arn": model,
            "serving_arn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/0ld0ld0ld0ld",
        },
    )

    def evening(job) -> None:  # endpoint_schedule deletes the throughput while the jobs run
        if name in service.serving:
            service.remove(name)

    batch = batch_service(s3, http, before_run=evening)
    stored = successful_night(s3)

    assert name not in service.serving and service.created == 1  # woken once, then deleted
    for approach in ("rag", "base"):
        answers = stored(f"answers/{approach}.json")
        assert answers["path"] == "batch"
        assert all(a["llm_response"] == "It holds 1.8 litres." for a in answers["answers"])
    for approach in ("fine_tuned", "hybrid"):  # answered while the throughput served
        answers = stored(f"answers/{approach}.json")["answers"]
        assert all(a["llm_response"] and not a.get("unavailable") for a in answers)
    assert len(batch.jobs) == 2 + 4 * len(SITTING)
    summary = s3.get_object(Bucket=BUCKET, Key=f"{NIGHT_FOLDER}/summary_results.csv")["Body"].read()
    assert summary.decode().count("\n") == 5  # the header and the four approaches

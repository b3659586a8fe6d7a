"""The latency- and capacity-faithful emulator answers the real botocore clients in AWS's shapes,
queues an endpoint's requests beyond its capacity, and throttles Bedrock above its limit."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tailor.llama import generated_text, request_body
from tests.support.aws_emulator import CHUNK, CHUNK_ID, AwsEmulator

MODEL = "us.meta.llama3-1-8b-instruct-v1:0"


def client(service: str, url: str, attempts: int = 1):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "adaptive", "max_attempts": attempts}),
    )


def converse(url: str, model: str, text: str, attempts: int = 1) -> dict:
    return client("bedrock-runtime", url, attempts).converse(
        modelId=model, messages=[{"role": "user", "content": [{"text": text}]}]
    )


def test_replies_parse_as_aws_sends_them():
    with AwsEmulator(unit=0.001, answer_model=MODEL) as emulator:
        answer = converse(emulator.url, MODEL, "How big is the tank?")
        assert answer["output"]["message"]["content"][0]["text"].startswith("The BrewPro 3")
        assert answer["stopReason"] == "end_turn" and answer["usage"]["outputTokens"] == 12
        judged = converse(emulator.url, "us.amazon.nova-pro-v1:0", "Score this answer")
        assert 0 <= json.loads(judged["output"]["message"]["content"][0]["text"])["score"] <= 10
        found = client("bedrock-agent-runtime", emulator.url).retrieve(
            knowledgeBaseId="KB12345678", retrievalQuery={"text": "tank"}
        )
        (result,) = found["retrievalResults"]
        assert result["content"]["text"] == CHUNK
        assert result["metadata"]["x-amz-bedrock-kb-chunk-id"] == CHUNK_ID
        reply = client("sagemaker-runtime", emulator.url).invoke_endpoint(
            EndpointName="tailor-endpoint",
            InferenceComponentName="tailor-v1",
            ContentType="application/json",
            Body=request_body("How big is the tank?"),
        )
        assert generated_text(reply["Body"].read()) == "1.8 litres."
    assert emulator.stats.requests == {"Converse": 2, "Retrieve": 1, "InvokeEndpoint": 1}


def test_an_endpoint_serves_its_capacity_at_once_and_queues_the_rest():
    with AwsEmulator(unit=0.01, copy_capacity=2, copies=1) as emulator:
        runtime = client("sagemaker-runtime", emulator.url)

        def invoke(n: int):
            return runtime.invoke_endpoint(
                EndpointName="tailor-endpoint", Body=request_body(f"question {n}")
            )

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(invoke, range(8)))
    assert all(r["ResponseMetadata"]["HTTPStatusCode"] == 200 for r in replies)  # none refused
    assert emulator.stats.peak_in_flight["InvokeEndpoint"] == 2  # the rest waited in line


def test_bedrock_throttles_above_its_limit_and_adaptive_retries_absorb_it():
    with AwsEmulator(unit=0.02, bedrock_limit=2, answer_model=MODEL) as emulator:
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(lambda n: _try(emulator.url, n, attempts=1), range(6)))
        assert "ThrottlingException" in outcomes  # one try each: the ones above 2 are refused
        assert emulator.stats.peak_in_flight[MODEL] == 2
        refused = emulator.stats.throttled["Converse"]
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(lambda n: _try(emulator.url, n, attempts=10), range(6)))
        assert outcomes == ["answered"] * 6  # botocore's adaptive retries wait their turn
        assert emulator.stats.throttled["Converse"] > refused


def _try(url: str, n: int, attempts: int) -> str:
    try:
        converse(url, MODEL, f"question {n}", attempts)
        return "answered"
    except ClientError as error:
        return error.response["Error"]["Code"]


def test_an_unknown_call_is_refused():
    with AwsEmulator() as emulator, pytest.raises(ClientError):
        client("bedrock-runtime", emulator.url).invoke_model(modelId=MODEL, body=b"{}")


def test_the_control_plane_wakes_and_restores_a_component_and_clears_judges():
    """What nightly_eval calls around its answers: the judges' preflight (tailor_airflow.judges)
    and the component's copies (tailor.endpoint.observe reads the description)."""
    from tailor.endpoint.observe import is_no_capacity, observe_inference_component
    from tailor_airflow.judges import access_problems

    with AwsEmulator(unit=0.001, copies=1) as emulator:
        bedrock = client("bedrock", emulator.url)
        judge = "us.amazon.nova-pro-v1:0"
        details = bedrock.get_foundation_model(modelIdentifier=judge)["modelDetails"]
        assert details["modelLifecycle"]["status"] == "ACTIVE" and details["modelId"] == judge
        assert access_problems(bedrock.get_foundation_model_availability(modelId=judge)) == []
        sagemaker = client("sagemaker", emulator.url)
        seen = sagemaker.describe_inference_component(InferenceComponentName="tailor-v1")
        assert observe_inference_component(seen).copies == 1
        sagemaker.update_inference_component_runtime_config(
            InferenceComponentName="tailor-v1", DesiredRuntimeConfig={"CopyCount": 0}
        )
        seen = sagemaker.describe_inference_component(InferenceComponentName="tailor-v1")
        assert observe_inference_component(seen).copies == 0
        with pytest.raises(ClientError) as refused:  # asleep: the answerer's EndpointAsleep
            client("sagemaker-runtime", emulator.url).invoke_endpoint(
                EndpointName="tailor-endpoint",
                InferenceComponentName="tailor-v1",
                ContentType="application/json",
                Body=request_body("How big is the tank?"),
            )
        error = refused.value.response["Error"]
        assert is_no_capacity(error["Code"], error["Message"])

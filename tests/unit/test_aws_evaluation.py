"""nightly_eval's aws calls: retrieve, Converse, invoke_endpoint, judge preflight.

The hooks build their real botocore clients; only the HTTP replies are canned (aws_http),
so the adaptive retry configuration is exercised under throttling.
"""

from __future__ import annotations

import json

import pytest

from tailor.evaluation.approaches import Approach
from tailor.evaluation.judging import Item
from tailor.testset import TestCase
from tailor_airflow.config import load_settings
from tests.support.aws_http import install
from tests.support.aws_stubs import stubbed_hook

ENDPOINT = "tailor-endpoint"
COMPONENT = "tailor-v20261101"
KB = "KB12345678"
CASE = TestCase("Halden BrewPro 3 Espresso Machine", "How big is the tank?", "1.8 litres.")


@pytest.fixture
def http(tmp_path, tailor_settings, monkeypatch):
    tailor_settings(
        backend="aws",
        data_root=str(tmp_path),
        region_name="us-east-1",
        knowledge_base_id=KB,
        endpoint_name=ENDPOINT,
        inference_component_name=COMPONENT,
        aws_concurrency=4,
        judge_retries=1,
    )
    return install(monkeypatch)


def converse_reply(
    text: str, tokens_in: int = 120, tokens_out: int = 30, stop: str = "end_turn"
) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {
            "inputTokens": tokens_in,
            "outputTokens": tokens_out,
            "totalTokens": tokens_in + tokens_out,
        },
        "metrics": {"latencyMs": 420},
    }


RETRIEVED = {
    "retrievalResults": [
        {
            "content": {"text": "Name: Halden BrewPro 3 Espresso Machine\nThe tank holds 1.8 l."},
            "location": {"type": "S3", "s3Location": {"uri": "s3://bucket/catalog/brewpro.txt"}},
            "metadata": {"x-amz-bedrock-kb-chunk-id": "chunk-1"},
            "score": 0.71,
        }
    ]
}


def test_rag_answer_survives_throttling_with_retrieved_context(http):
    from tailor_airflow.answerers import aws_answerer

    http.throttle("/retrieve", times=1)
    http.reply(f"/knowledgebases/{KB}/retrieve", RETRIEVED)
    http.throttle("/converse", times=2)
    http.reply("/converse", converse_reply("The tank holds 1.8 litres."))

    answer = aws_answerer(load_settings()).answer(Approach.RAG, CASE)

    assert answer.llm_response == "The tank holds 1.8 litres."
    assert (answer.input_tokens, answer.output_tokens) == (120, 30)
    assert answer.truncated is False
    assert answer.chunk_ids == ["chunk-1"] and answer.generation_seconds > 0
    urls = [url for url, _ in http.requests]
    assert len(urls) == 5  # every throttled call was retried by botocore, not by the task
    converse_url, request = http.requests[-1]
    assert "/model/us.meta.llama3-1-8b-instruct-v1%3A0/converse" in converse_url
    prompt = request["messages"][0]["content"][0]["text"]
    assert "The tank holds 1.8 l." in prompt and CASE.question in prompt
    assert request["inferenceConfig"] == {"maxTokens": 512, "temperature": 0.0}
    assert http.requests[1][1]["retrievalConfiguration"] == {
        "vectorSearchConfiguration": {"numberOfResults": 3}
    }


def test_an_answer_cut_by_max_tokens_is_recorded_as_truncated(http):
    from tailor.evaluation.results import summarize
    from tailor_airflow.answerers import aws_answerer

    http.reply("/converse", converse_reply("The tank holds 1.8", tokens_out=512, stop="max_tokens"))

    answer = aws_answerer(load_settings()).answer(Approach.BASE, CASE)

    assert answer.truncated is True and answer.to_dict()["truncated"] is True
    assert summarize("base", [answer.to_dict()])["truncated"] == 1


def test_fine_tuned_answer_goes_to_the_served_component(http):
    from tailor_airflow.answerers import aws_answerer

    http.throttle("/invocations")
    http.reply(
        "/invocations", {"generated_text": " 1.8 litres.", "details": {"generated_tokens": 5}}
    )

    answer = aws_answerer(load_settings()).answer(Approach.FINE_TUNED, CASE)

    assert answer.llm_response == "1.8 litres." and answer.output_tokens == 5
    assert answer.input_tokens is None  # the container does not report it: missing, not 0
    url, body = http.requests[-1]
    assert f"/endpoints/{ENDPOINT}/invocations" in url
    assert body["parameters"]["details"] is True and "How big is the tank?" in body["inputs"]
    assert answer.chunk_ids == []


def test_asleep_component_marks_the_answer_unavailable(http):
    from tailor_airflow.answerers import aws_answerer

    http.reply(
        "/invocations",
        {
            "message": "Inference component has no capacity to process "
            "this request. ApplicationAutoScaling may be in-progress"
        },
        400,
        "ValidationError",
    )

    answer = aws_answerer(load_settings()).answer(Approach.FINE_TUNED, CASE)

    assert answer.llm_response is None and "asleep" in answer.unavailable


ITEM = Item("rag:0", "How big is the tank?", "1.8 litres.", "It holds 1.8 litres.")


def test_bedrock_judge_retries_unparseable_replies_then_records_missing(http):
    from tailor_airflow.judges import BedrockJudge

    judge = BedrockJudge(load_settings(), "us.amazon.nova-pro-v1:0")
    http.reply("/converse", converse_reply("I think it is quite good."))
    http.reply("/converse", converse_reply('{"score": 8, "reason": "same facts"}'))
    assert judge.score(ITEM) == 0.8
    first, second = (body for _, body in http.requests)
    assert first["inferenceConfig"]["temperature"] == 0.0
    assert second["inferenceConfig"]["temperature"] > 0  # a retry is not the same greedy call
    prompt = first["messages"][0]["content"][0]["text"]
    assert all(text in prompt for text in (ITEM.question, ITEM.reference, ITEM.candidate))

    http.reply("/converse", converse_reply("no idea"))
    http.reply("/converse", converse_reply("still no idea"))
    assert judge.score(ITEM) is None  # missing, never 0 or -1


def test_judges_score_in_a_bounded_pool_through_throttling(http):
    from tailor.evaluation.judging import score_items
    from tailor_airflow.judges import judge_scorer

    score, workers = judge_scorer(load_settings(), "us.amazon.nova-pro-v1:0")
    assert workers == 4
    http.throttle("/converse", times=3)
    for value in range(6):
        http.reply("/converse", converse_reply(json.dumps({"score": value})))
    items = [Item(f"rag:{i}", "q", "r", f"c{i}") for i in range(6)]

    scores = score_items(score, items, workers)

    assert list(scores) == [item.key for item in items]
    assert sorted(scores.values()) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert len(http.requests) == 9  # 6 judgements + 3 throttled tries


def test_preflight_leaves_out_legacy_and_unavailable_judges(tailor_settings, monkeypatch):
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

    from tailor_airflow.judges import preflight

    tailor_settings(backend="aws", region_name="us-east-1")

    def model(stub, model_id: str, status: str) -> None:
        stub.add_response(
            "get_foundation_model",
            {
                "modelDetails": {
                    "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}",
                    "modelId": model_id,
                    "modelLifecycle": {"status": status},
                }
            },
            {"modelIdentifier": model_id},
        )

    def access(stub, model_id: str, authorized: bool = True, agreement: str = "AVAILABLE") -> None:
        stub.add_response(
            "get_foundation_model_availability",
            {
                "modelId": model_id,
                "agreementAvailability": {"status": agreement},
                "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
                "entitlementAvailability": "AVAILABLE",
                "regionAvailability": "AVAILABLE",
            },
            {"modelId": model_id},
        )

    tailor_settings(backend="aws", region_name="us-east-1")
    with stubbed_hook(monkeypatch, BedrockHook, "bedrock") as stub:
        model(stub, "anthropic.claude-haiku-4-5-20251001-v1:0", "ACTIVE")
        access(stub, "anthropic.claude-haiku-4-5-20251001-v1:0")
        model(stub, "anthropic.claude-3-haiku-20240307-v1:0", "LEGACY")
        stub.add_client_error(
            "get_foundation_model",
            "ResourceNotFoundException",
            "Model not found",
            404,
            expected_params={"modelIdentifier": "cohere.command-r-plus-v1:0"},
        )
        model(stub, "amazon.nova-pro-v1:0", "ACTIVE")  # ACTIVE, but this account may not call it
        access(stub, "amazon.nova-pro-v1:0", authorized=False, agreement="NOT_AVAILABLE")
        kept, left_out = preflight(
            load_settings(),
            [
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                "anthropic.claude-3-haiku-20240307-v1:0",
                "cohere.command-r-plus-v1:0",
                "us.amazon.nova-pro-v1:0",
            ],
        )
    assert kept == ["us.anthropic.claude-haiku-4-5-20251001-v1:0"]
    assert left_out["anthropic.claude-3-haiku-20240307-v1:0"] == "lifecycle status LEGACY"
    assert "Model not found" in left_out["cohere.command-r-plus-v1:0"]
    assert left_out["us.amazon.nova-pro-v1:0"] == (
        "no access: authorization NOT_AUTHORIZED, agreement NOT_AVAILABLE"
    )

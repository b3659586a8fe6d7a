"""Bedrock batch records: what a job reads and writes, and the settings that turn it on."""

from __future__ import annotations

import json

import pytest

from tailor.errors import InputError
from tailor.evaluation.batch import converse_records, converse_replies, job_name
from tailor.evaluation.monthly_cost import night_token_cost
from tailor.prices import Prices
from tailor.settings import Settings, SettingsError


def test_records_are_converse_bodies_with_bedrocks_record_ids():
    lines = converse_records(["first?", "second?"], {"maxTokens": 5}).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["recordId"] for r in records] == ["R0000000000", "R0000000001"]
    assert records[1]["modelInput"] == {
        "messages": [{"role": "user", "content": [{"text": "second?"}]}],
        "inferenceConfig": {"maxTokens": 5},
    }


def test_replies_come_back_in_request_order_and_a_failed_record_is_missing():
    reply = {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}}
    out = "\n".join(
        [
            json.dumps({"recordId": "R0000000002", "modelOutput": reply}),
            json.dumps({"recordId": "R0000000000", "error": {"errorCode": 500}}),
        ]
    ).encode()
    assert converse_replies(out, "s3://b/out.jsonl.out", 3) == [None, None, reply]


def test_a_garbled_output_line_names_the_file_and_line():
    with pytest.raises(InputError, match=r"s3://b/x\.out:2: not a batch output record"):
        converse_replies(b'{"recordId": "R0000000000"}\nnot json\n', "s3://b/x.out", 1)


def test_job_names_fit_bedrock_and_differ_per_part_but_not_per_try():
    import re

    name = job_name("2026-11-20", "hybrid-judge-" + "x" * 80, "manual__2026#0")
    assert len(name) <= 63 and re.fullmatch(r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}", name)
    assert job_name("d", "rag", "run#0") == job_name("d", "rag", "run#0")
    assert job_name("d", "rag", "run#0") != job_name("d", "rag", "run#1")
    assert job_name("d", "a" * 60 + "1", "run#0") != job_name("d", "a" * 60 + "2", "run#0")


def test_the_threshold_is_off_or_at_least_bedrocks_minimum():
    assert Settings.from_mapping({"batch_threshold": 0}).batch_threshold == 0
    assert Settings.from_mapping({"batch_threshold": 250}).batch_threshold == 250
    with pytest.raises(SettingsError, match="'batch_threshold' must be 0 .* at least 100"):
        Settings.from_mapping({"batch_threshold": 99})


def test_a_nights_tokens_cost_half_in_a_batch_job_and_nothing_on_the_endpoint():
    answers = [{"input_tokens": 1000, "output_tokens": 500}, {"input_tokens": None}]
    prices = Prices(bedrock_input_per_1k_tokens=0.002, bedrock_output_per_1k_tokens=0.004)
    assert night_token_cost("rag", answers, prices, batch=False) == pytest.approx(0.004)
    assert night_token_cost("rag", answers, prices, batch=True) == pytest.approx(0.002)
    assert night_token_cost("hybrid", answers, prices, batch=True) is None


def test_the_minimum_per_job_is_read_from_the_quota_that_names_the_model():
    from tailor.evaluation.batch import MINIMUM_QUOTA, quota_minimum

    quotas = {
        MINIMUM_QUOTA + name: value
        for name, value in (
            ("Llama 3.1 8B Instruct", 100.0),
            ("Llama 3 8B Instruct", 50.0),
            ("Claude 3.5 Sonnet", 100.0),
            ("Claude 3.5 Sonnet v2", 200.0),
            ("Nova Pro V1", 1000.0),
            ("Claude Haiku 4.5", 40.0),
        )
    }
    quotas["Records per batch inference job for Nova Pro V1"] = 50000.0  # another quota
    assert quota_minimum(quotas, "us.meta.llama3-1-8b-instruct-v1:0") == 100
    assert quota_minimum(quotas, "meta.llama3-8b-instruct-v1:0") == 50  # not 3.1's ("v1")
    assert quota_minimum(quotas, "anthropic.claude-3-5-sonnet-20241022-v2:0") == 200
    assert quota_minimum(quotas, "anthropic.claude-3-5-sonnet-20240620-v1:0") == 100
    assert quota_minimum(quotas, "us.amazon.nova-pro-v1:0") == 1000
    assert quota_minimum(quotas, "us.anthropic.claude-haiku-4-5-20251001-v1:0") == 40
    assert quota_minimum(quotas, "google.gemma-3-27b-it") is None  # none names it: the default
    two = {MINIMUM_QUOTA + "Acme Twin": 1.0, MINIMUM_QUOTA + "Twin Acme": 2.0}
    assert quota_minimum(two, "acme.twin-acme-twin") is None  # two fit equally: never a guess


def test_a_jobs_output_is_checked_against_its_manifest():
    from tailor.evaluation.batch import output_problem

    replies = [{"output": {}}] * 99 + [None]
    assert output_problem(replies, None, 100) is None  # no manifest: nothing to check
    assert output_problem(replies, {"totalRecordCount": 100, "successRecordCount": 99}, 100) is None
    assert "counts 100 answered records, its output holds 99" in output_problem(
        replies, {"totalRecordCount": 100, "successRecordCount": 100}, 100
    )
    assert "counts 90 records, 100 were sent" in output_problem(
        replies, {"totalRecordCount": 90, "successRecordCount": 99}, 100
    )

"""An AWS emulator faithful in time and capacity, on the loopback, for benchmarks and tests.

It speaks the wire protocol of the calls nightly_eval makes — Bedrock Runtime Converse, Bedrock
Agent Runtime Retrieve, SageMaker Runtime InvokeEndpoint, and the control-plane calls around them
(the judges' preflight: Bedrock GetFoundationModel and GetFoundationModelAvailability; waking and
restoring the endpoint: SageMaker DescribeInferenceComponent and
UpdateInferenceComponentRuntimeConfig, applied at once) — so the real botocore clients reach it
through the connection's ``endpoint_url``; every reply is checked against botocore's output shape
(`aws_shapes.validate_reply`, the strict emulation's rule) before it is sent.

- **Time**: each call takes a latency drawn around a mean (x0.8 to x1.2, seeded), scaled by
  `unit`: the reference's measured means per answer are rag 8.3 s (retrieval + Bedrock), fine-tuned
  4.2 s and hybrid 17.7 s (the endpoint, with the retrieved context for hybrid); a judge's call is
  assumed 3 s (the reference does not report one).
- **Capacity**: an endpoint serves at most `copy_capacity` requests per copy at once and queues
  the rest (as a SageMaker container does); a component at zero copies refuses invocations (its
  capacity otherwise stays `copies` x `copy_capacity`: a scale-up adds no slots); Bedrock answers
  ``ThrottlingException`` (HTTP 429) to a request above `bedrock_limit` in flight for one model
  (and Retrieve above the same limit).

`stats` counts requests, throttles and the most requests seen in flight, per operation.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from tests.support.aws_shapes import validate_reply

CHUNK = "Name: Halden BrewPro 3 Espresso Machine\nThe removable water tank holds 1.8 litres."
CHUNK_ID = "emulator-chunk-1"
ACCOUNT_ARN = "arn:aws:sagemaker:us-east-1:123456789012"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client closing its kept-alive connection is how a connection ends, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Latencies:
    """Mean seconds per call before scaling by `unit` (the reference's per-answer means)."""

    retrieve: float = 0.3
    bedrock_answer: float = 8.0  # rag: 8.3 s with the retrieval
    endpoint: float = 4.2  # fine_tuned
    endpoint_with_context: float = 17.4  # hybrid: 17.7 s with the retrieval
    judge: float = 3.0  # assumed


@dataclass
class Stats:
    requests: Counter = field(default_factory=Counter)
    throttled: Counter = field(default_factory=Counter)
    peak_in_flight: Counter = field(default_factory=Counter)


class AwsEmulator:
    """``with AwsEmulator(...) as emulator:`` serves on ``emulator.url`` until the block ends."""

    def __init__(
        self,
        unit: float = 1.0,
        copy_capacity: int = 4,
        copies: int = 1,
        bedrock_limit: int = 10,
        answer_model: str = "",
        latencies: Latencies = Latencies(),
        seed: int = 0,
    ) -> None:
        self.unit, self.latencies, self.answer_model = unit, latencies, answer_model
        self.copy_capacity, self.copies, self.bedrock_limit = copy_capacity, copies, bedrock_limit
        self.stats = Stats()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._in_flight: Counter = Counter()
        self._endpoints: dict[str, threading.BoundedSemaphore] = {}
        self._component_copies: dict[str, int] = {}  # set by UpdateInferenceComponentRuntimeConfig
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> AwsEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.do_POST()

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = emulator.handle(self.path, self.headers, body)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:  # quiet: the stats say what happened
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)  # an ephemeral port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- requests ----------------------------------------------------------------------------
    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        path = unquote(path)
        target = headers.get("X-Amz-Target", "")
        if target.startswith("SageMaker."):
            return self._sagemaker(target.removeprefix("SageMaker."), json.loads(body or b"{}"))
        if match := re.fullmatch(r"/foundation-models/(.+)", path):
            return self._reply(
                "bedrock",
                "GetFoundationModel",
                {
                    "modelDetails": {
                        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{match[1]}",
                        "modelId": match[1],
                        "modelLifecycle": {"status": "ACTIVE"},
                    }
                },
            )
        if match := re.fullmatch(r"/foundation-model-availability/(.+)", path):
            return self._reply(
                "bedrock",
                "GetFoundationModelAvailability",
                {
                    "modelId": match[1],
                    "agreementAvailability": {"status": "AVAILABLE"},
                    "authorizationStatus": "AUTHORIZED",
                    "entitlementAvailability": "AVAILABLE",
                    "regionAvailability": "AVAILABLE",
                },
            )
        if match := re.fullmatch(r"/model/(.+)/converse", path):
            return self._bedrock("Converse", match[1], lambda: self._converse(match[1], body))
        if match := re.fullmatch(r"/knowledgebases/([^/]+)/retrieve", path):
            return self._bedrock("Retrieve", "retrieve", self._retrieve)
        if match := re.fullmatch(r"/endpoints/([^/]+)/invocations", path):
            return self._invoke(match[1], headers, body)
        return 404, {"x-amzn-ErrorType": "UnknownOperationException"}, b'{"message": "unknown"}'

    @staticmethod
    def _reply(service: str, operation: str, reply: dict) -> tuple[int, dict[str, str], bytes]:
        validate_reply(service, operation, reply)
        return (
            200,
            {"Content-Type": "application/x-amz-json-1.1"},
            json.dumps(reply, default=lambda t: t.timestamp()).encode(),
        )  # JSON protocol: epoch seconds

    def _sagemaker(self, operation: str, request: dict) -> tuple[int, dict[str, str], bytes]:
        """The inference component's copies: described, or changed at once (no warm-up)."""
        name = request.get("InferenceComponentName", "")
        with self._lock:
            self.stats.requests[operation] += 1
        arn = f"{ACCOUNT_ARN}:inference-component/{name}"
        if operation == "UpdateInferenceComponentRuntimeConfig":
            with self._lock:
                self._component_copies[name] = request["DesiredRuntimeConfig"]["CopyCount"]
            return self._reply("sagemaker", operation, {"InferenceComponentArn": arn})
        if operation == "DescribeInferenceComponent":
            copies = self.copies_of(name)
            now = datetime.datetime.now(datetime.UTC)
            return self._reply(
                "sagemaker",
                operation,
                {
                    "InferenceComponentName": name,
                    "InferenceComponentArn": arn,
                    "EndpointName": "tailor-endpoint",
                    "EndpointArn": f"{ACCOUNT_ARN}:endpoint/tailor-endpoint",
                    "VariantName": "AllTraffic",
                    "CreationTime": now,
                    "LastModifiedTime": now,
                    "InferenceComponentStatus": "InService",
                    "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
                },
            )
        return (
            400,
            {"x-amzn-ErrorType": "UnknownOperationException"},
            json.dumps({"message": f"the emulator does not speak SageMaker.{operation}"}).encode(),
        )

    def copies_of(self, component: str) -> int:
        with self._lock:
            return self._component_copies.get(component, self.copies)

    def _sleep(self, mean: float) -> None:
        with self._lock:
            jitter = self._random.uniform(0.8, 1.2)
        time.sleep(mean * jitter * self.unit)

    def _enter(self, key: str, limit: int | None) -> bool:
        with self._lock:
            if limit is not None and self._in_flight[key] >= limit:
                return False
            self._in_flight[key] += 1
            self.stats.peak_in_flight[key] = max(
                self.stats.peak_in_flight[key], self._in_flight[key]
            )
            return True

    def _leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1

    def _bedrock(self, operation: str, key: str, reply) -> tuple[int, dict[str, str], bytes]:
        """A Bedrock call: throttled above the limit in flight, else answered after its latency."""
        with self._lock:
            self.stats.requests[operation] += 1
        if not self._enter(key, self.bedrock_limit):
            with self._lock:
                self.stats.throttled[operation] += 1
            return (
                429,
                {"Content-Type": "application/json", "x-amzn-ErrorType": "ThrottlingException"},
                json.dumps(
                    {"message": "Too many requests, please wait before trying again."}
                ).encode(),
            )
        try:
            return 200, {"Content-Type": "application/json"}, json.dumps(reply()).encode()
        finally:
            self._leave(key)

    def _converse(self, model: str, body: bytes) -> dict:
        prompt = " ".join(
            c.get("text", "") for m in json.loads(body)["messages"] for c in m["content"]
        )
        answering = model == self.answer_model
        self._sleep(self.latencies.bedrock_answer if answering else self.latencies.judge)
        digest = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
        text = (
            "The BrewPro 3 tank holds 1.8 litres."
            if answering
            else json.dumps({"score": digest % 11, "reason": "emulated"})
        )
        reply = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": len(prompt) // 4 + 1,
                "outputTokens": 12,
                "totalTokens": len(prompt) // 4 + 13,
            },
            "metrics": {"latencyMs": 1},
        }
        validate_reply("bedrock-runtime", "Converse", reply)
        return reply

    def _retrieve(self) -> dict:
        self._sleep(self.latencies.retrieve)
        reply = {
            "retrievalResults": [
                {
                    "content": {"text": CHUNK},
                    "location": {
                        "type": "S3",
                        "s3Location": {"uri": "s3://catalog/product_catalog.txt"},
                    },
                    "metadata": {"x-amz-bedrock-kb-chunk-id": CHUNK_ID},
                    "score": 0.71,
                }
            ]
        }
        validate_reply("bedrock-agent-runtime", "Retrieve", reply)
        return reply

    def _invoke(self, endpoint: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """An endpoint: at most copy_capacity x copies at once; the rest wait their turn."""
        component = headers.get("X-Amzn-SageMaker-Inference-Component", "")
        if component and self.copies_of(component) == 0:
            return (
                400,
                {"x-amzn-ErrorType": "ValidationError"},
                json.dumps(
                    {
                        "message": f"Inference Component {component} has no capacity to process this request. "
                        "ApproximateModelCopyCount is 0."
                    }
                ).encode(),
            )
        with self._lock:
            self.stats.requests["InvokeEndpoint"] += 1
            slots = self._endpoints.setdefault(
                endpoint, threading.BoundedSemaphore(self.copy_capacity * self.copies)
            )
        with slots:
            self._enter("InvokeEndpoint", None)
            try:
                prompt = json.loads(body)["inputs"]
                self._sleep(
                    self.latencies.endpoint_with_context
                    if CHUNK in prompt
                    else self.latencies.endpoint
                )
            finally:
                self._leave("InvokeEndpoint")
        payload = json.dumps(
            {"generated_text": " 1.8 litres.", "details": {"generated_tokens": 5}}
        ).encode()
        validate_reply(
            "sagemaker-runtime",
            "InvokeEndpoint",
            {"Body": payload, "ContentType": "application/json"},
        )
        return 200, {"Content-Type": "application/json"}, payload

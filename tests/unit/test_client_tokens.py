"""Client tokens: one per creation, inside every pattern and length Bedrock's model gives."""

from __future__ import annotations

import botocore.session
import pytest

from tailor.client_tokens import creation_token
from tests.support.aws_shapes import _pattern

CREATES = [
    "CreateModelCustomizationJob",
    "CreateModelInvocationJob",
    "CreateProvisionedModelThroughput",
    "CreateCustomModelDeployment",
]


@pytest.mark.parametrize("operation", CREATES)
def test_a_token_fits_the_operations_token_field(operation):
    shape = (
        botocore.session.get_session()
        .get_service_model("bedrock")
        .operation_model(operation)
        .input_shape.members["clientRequestToken"]
    )
    for name in (
        "tailor-ft-202612060300-abcdef12-a2",
        "tailor-2026-11-20-rag-judge-us_amazon",
        "x" * 300,
        "tailor.odd/name:1",
    ):
        token = creation_token(name, "2026-12-07T07:00:00+00:00")
        assert shape.metadata["min"] <= len(token) <= shape.metadata["max"]
        assert _pattern(shape.metadata["pattern"]).fullmatch(token), (operation, token)


def test_one_token_per_creation_not_per_name():
    morning = creation_token("tailor-ft-1", "2026-12-07T07:00:00+00:00")
    assert morning == creation_token("tailor-ft-1", "2026-12-07T07:00:00+00:00")
    assert morning != creation_token("tailor-ft-1", "2026-12-08T07:00:00+00:00")  # next day
    assert morning != creation_token("tailor-ft-2", "2026-12-07T07:00:00+00:00")
    assert morning.startswith("tailor-ft-1-")  # readable in CloudTrail

"""One reading of AWS client errors for every hook call Tailor makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tailor.endpoint.observe import is_not_found


def error_matches(err: ClientError, rule: Callable[[str, str], bool]) -> bool:
    """Apply a (code, message) rule from `tailor.endpoint.observe` to a ClientError."""
    error = err.response.get("Error", {})
    return rule(error.get("Code", ""), error.get("Message", ""))


def describe_or_none(call: Callable[..., Any], **kwargs: Any) -> Any | None:
    """A describe call's answer, or None when the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as err:
        if error_matches(err, is_not_found):
            return None
        raise

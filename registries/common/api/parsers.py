"""The API's JSON parser, bounded: size, nesting depth and valid Unicode.

Hostile bodies must be refused as problems before any registry sees them
(DESIGN §9): a body over ``RIIK_MAX_REQUEST_BYTES`` is 413, JSON nested deeper
than ``RIIK_MAX_JSON_DEPTH`` (arrays and objects) is 400, and so is a string
or key holding a lone UTF-16 surrogate (``"\\ud800"``): JSON allows the
escape, but no UTF-8 text can carry it, so every later step that encodes it
(the ledger, the database, the error message echoing it) would fail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestTooLarge(exceptions.APIException):
    """The request body is over ``RIIK_MAX_REQUEST_BYTES``."""

    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


def too_large() -> RequestTooLarge:
    """The refusal of a body over the configured size, naming the limit."""
    return RequestTooLarge(
        gettext("The request body is larger than {limit} bytes.").format(
            limit=settings.RIIK_MAX_REQUEST_BYTES
        )
    )


def check_json(data: Any, max_depth: int) -> None:
    """Refuse (400) a parsed document nested deeper than ``max_depth`` or with a lone surrogate."""
    # Iterative, so that checking depth is not itself limited by recursion.
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                raise exceptions.ParseError(
                    gettext(
                        "JSON parse error - a string holds a lone surrogate (a \\ud800-\\udfff "
                        "escape without its pair), which is not Unicode text"
                    )
                )
        elif isinstance(value, Mapping | list):
            if depth >= max_depth:
                raise exceptions.ParseError(
                    gettext(
                        "JSON parse error - the body is nested deeper than {max_depth} levels"
                    ).format(max_depth=max_depth)
                )
            children = [*value.keys(), *value.values()] if isinstance(value, Mapping) else value
            pending.extend((child, depth + 1) for child in children)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the size, depth and Unicode bounds of this module."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Read at most the allowed bytes, parse them strictly and check the document."""
        limit = settings.RIIK_MAX_REQUEST_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise too_large()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(raw.decode(encoding), parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError(
                gettext(
                    "JSON parse error - the body is nested deeper than {RIIK_MAX_JSON_DEPTH} levels"
                ).format(RIIK_MAX_JSON_DEPTH=settings.RIIK_MAX_JSON_DEPTH)
            ) from None
        except ValueError as error:
            raise exceptions.ParseError(
                gettext("JSON parse error - {error}").format(error=error)
            ) from None
        check_json(data, settings.RIIK_MAX_JSON_DEPTH)
        return data

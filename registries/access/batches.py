"""What a batched registry command takes and answers in the API (the catalog's pieces).

A batched command (:meth:`~registries.common.application.RegistryApplication.batch`)
takes a list of the items its single command takes, under one field
(``{"companies": [...]}``), at least one and at most
:data:`~registries.common.application.MAX_BATCH`, and answers with what each
item got, in order (``{"codes": [...]}``). A malformed item is a 400 whose
``errors`` name it (``companies.3.name``); an item the registry refuses is
a problem whose ``detail`` names it (``companies.3: ...``), with the status
of that item's refusal, and nothing of the batch is written.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from registries.access.catalog import Reply
from registries.common.application import MAX_BATCH

__all__ = ["batch_input", "batch_reply"]


def batch_input(
    name: str, field: str, item: type[serializers.Serializer[Any]], what: str
) -> type[serializers.Serializer[Any]]:
    """The input serializer ``name``: ``{field: [item, ...]}`` (``what``: the items, in words)."""
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=item(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"{what}: 1 to {MAX_BATCH}, saved together or not at all",
    )
    doc = f"Several {what} in one transaction."
    return type(name, (serializers.Serializer,), {field: items, "__doc__": doc})


def batch_reply(name: str, field: str, what: str) -> Reply:
    """The reply ``name``: ``{field: [...]}``, what each item got, in the order given."""
    results = serializers.ListField(
        child=serializers.CharField(), help_text=f"{what}, in the order of the items"
    )
    doc = f"The {what} of a batch, in order."
    serializer = type(name, (serializers.Serializer,), {field: results, "__doc__": doc})

    def body(request: Request, data: dict[str, Any], result: object) -> dict[str, list[str]]:
        assert isinstance(result, list)  # the batch's results, one for each item
        return {field: [str(each) for each in result]}

    return Reply(serializer, body)

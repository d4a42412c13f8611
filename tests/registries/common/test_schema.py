"""The schema post-processing hooks and the problem+json answers outside DRF's views."""

from __future__ import annotations

from typing import Any

from django.test import Client

from registries.common.api.schema import add_framework_problems, drop_storage_bounds


def operation(**responses: Any) -> dict[str, Any]:
    return {"paths": {"/api/v1/x/": {"post": {"responses": dict(responses)}}}}


def test_every_operation_documents_the_framework_problems() -> None:
    result = add_framework_problems(operation(**{"201": {"description": "made"}}))
    responses = result["paths"]["/api/v1/x/"]["post"]["responses"]
    assert {"400", "401", "403", "404", "406", "409", "415", "422", "429"} <= set(responses)
    assert responses["201"] == {"description": "made"}
    assert "application/problem+json" in responses["429"]["content"]


def test_storage_bounds_of_integers_are_dropped_and_api_bounds_kept() -> None:
    schema = {
        "a": {"type": "integer", "maximum": 2**63 - 1, "minimum": -(2**63), "format": "int64"},
        "b": {"type": "integer", "maximum": 2**31 - 1, "minimum": 0},
        "c": {"type": "integer", "maximum": 100, "minimum": 1},
    }
    drop_storage_bounds(schema)
    assert schema == {
        "a": {"type": "integer"},
        "b": {"type": "integer", "minimum": 0},
        "c": {"type": "integer", "maximum": 100, "minimum": 1},
    }


def test_unknown_url_is_a_problem_document() -> None:
    response = Client().get("/api/v1/no/such/thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["instance"] == "/api/v1/no/such/thing/"


def test_unknown_url_is_explained_in_the_language_asked_for() -> None:
    english = Client().get("/no/such/page/").json()
    assert (english["title"], english["detail"]) == ("Not found", "There is nothing at this URL.")
    estonian = Client(HTTP_ACCEPT_LANGUAGE="et").get("/no/such/page/").json()
    assert (estonian["title"], estonian["detail"]) == (
        "Ei leitud",
        "Sellel aadressil ei ole midagi.",
    )

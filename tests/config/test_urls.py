"""The project's URL map: schema and docs served from this server."""

from __future__ import annotations

from django.test import Client


def test_api_docs_page_serves_swagger_ui_from_this_server(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn.jsdelivr" not in page


def test_openapi_schema_is_served(client: Client) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/business/companies/" in response.content

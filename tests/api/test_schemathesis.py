"""Property-based requests generated from our own OpenAPI document (schemathesis, through its Python
API and Hypothesis): whatever is sent, no 5xx, and every error is a problem document. Bounded: a few
examples per operation, as the owner of a notice or as the operator."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from deconfliction.api import create_app

ADMIN_TAGS = {"tokens", "audit", "agreements", "parties", "compliance"}
SKIPPED: set[tuple[str, str]] = set()  # (streams end after 0.3 s with the test settings)
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in create_app(None).openapi()["paths"].items()  # the document does not need a store
    for method in item
    if (method.upper(), path) not in SKIPPED
)


def operation_of(schema, method: str, path: str):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise LookupError(f"{method} {path} not in the schema")


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_gets_a_server_error(system, settings, world, tokens, method, path):
    app = create_app(system, settings)
    operation = operation_of(schemathesis.openapi.from_asgi("/openapi.json", app), method, path)
    documented = {str(status) for status in operation.definition.raw.get("responses", {})}
    token = tokens["admin"] if set(operation.definition.raw.get("tags", [])) & ADMIN_TAGS else tokens["owner"]

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def send(case):
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 503 and "503" in documented:
            return  # a documented unavailability (the tactical monitor runs only inside `serve`)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json"), response.headers
            assert {"type", "title", "status", "detail", "code"} <= set(response.json())
        if response.status_code == 400:  # bad input names the field at fault (invariant 5)
            assert response.json().get("field"), f"{case.method} {case.formatted_path}: a 400 without field: {response.text[:300]}"

    send()


def test_generated_webhooks_never_point_at_a_non_public_address(system, settings, world, tokens):
    """The webhook rules under generated input: whatever URL is accepted resolves to public addresses
    only (the truth: the standard library's `ipaddress.is_global` on literal hosts)."""
    import ipaddress
    from urllib.parse import urlsplit

    from hypothesis import strategies as st

    from deconfliction.workers.egress import EgressPolicy

    system.egress = EgressPolicy(resolver=lambda host, port: [host] if _literal(host) else [])  # names: unresolved
    app = create_app(system, settings)
    operation = operation_of(schemathesis.openapi.from_asgi("/openapi.json", app), "POST", "/v1/webhooks/endpoints")
    hosts = st.sampled_from(["10.0.0.1", "127.0.0.1", "169.254.169.254", "[::1]", "[::ffff:10.0.0.1]", "93.184.216.34",
                             "hooks.example.org", "0.0.0.0", "[fe80::1]", "100.64.0.1"])
    urls = st.builds(lambda scheme, host, port, tail: f"{scheme}://{host}{port}/{tail}", st.sampled_from(["http", "https"]), hosts,
                     st.sampled_from(["", ":443", ":22", ":99999", ":0"]), st.text(max_size=8))

    @given(case=operation.as_strategy(), url=urls)
    @hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def send(case, url):
        if isinstance(case.body, dict):
            case.body["url"] = url
        response = case.call(headers={"Authorization": f"Bearer {tokens['owner']}"})
        assert response.status_code < 500, response.text[:300]
        if response.status_code == 201:
            host = urlsplit(response.json()["url"]).hostname
            address = _literal(host)
            assert address is None or address.is_global, f"accepted a webhook to {host}"

    send()
    for endpoint in system.endpoints("blue"):
        address = _literal(urlsplit(endpoint.url).hostname)
        assert address is None or address.is_global or address == ipaddress.ip_address("127.0.0.1") and endpoint.url.endswith(":9/hook")


def _literal(host):
    import ipaddress

    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None

"""/docs in a real browser: Swagger UI from the package renders the operations under the console's CSP
and asks nothing of any other origin (issue 15, item 7)."""

from __future__ import annotations


def test_swagger_ui_renders_offline_under_the_csp(page, served):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(served.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)  # 1.5 MB of script to parse on a busy machine
    assert page.locator(".opblock").count() > 20  # the operations of /openapi.json
    assert page.requests.elsewhere() == [], "requests to other origins"
    assert violations == [] and page.errors == []

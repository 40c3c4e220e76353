"""The response checker itself must be able to fail, or every other test here proves nothing."""

from __future__ import annotations

import pytest

from . import spec


def test_a_reference_without_a_manager_is_not_a_valid_body():
    reference = {"id": "2f8343be-6482-4d1b-a474-16847e01af1e", "manager": "uss1", "uss_availability": "Unknown", "version": 1, "state": "Accepted",
                 "time_start": {"value": "2026-06-01T08:00:00Z", "format": "RFC3339"}, "time_end": {"value": "2026-06-01T09:00:00Z", "format": "RFC3339"},
                 "uss_base_url": "https://uss", "subscription_id": "2f8343be-6482-4d1b-a474-16847e01af1e"}
    path = "/dss/v1/operational_intent_references/2f8343be-6482-4d1b-a474-16847e01af1e"
    assert spec.check("GET", path, 200, {"operational_intent_reference": reference}) == "GetOperationalIntentReferenceResponse"
    with pytest.raises(AssertionError, match="manager"):
        spec.check("GET", path, 200, {"operational_intent_reference": {k: v for k, v in reference.items() if k != "manager"}})
    with pytest.raises(AssertionError, match="not-a-uuid"):
        spec.check("GET", path, 200, {"operational_intent_reference": {**reference, "id": "not-a-uuid"}})


def test_a_status_the_operation_does_not_document_is_refused():
    with pytest.raises(AssertionError, match="does not list"):
        spec.check("GET", "/dss/v1/operational_intent_references/2f8343be-6482-4d1b-a474-16847e01af1e", 409, {"message": "x"})
    with pytest.raises(AssertionError, match="not an operation"):
        spec.check("PATCH", "/dss/v1/subscriptions/x", 200, {})

"""The F3548 OpenAPI document (../shared/spec, read-only, never copied here) as a response checker.

Every response of the interface is checked against the operation it answers: its status must be one
the operation documents, and its JSON body must validate (jsonschema, Draft 4 semantics as OpenAPI 3.0
uses them: boolean exclusiveMinimum) against the documented component schema."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

SPEC = Path(os.environ.get("DECONFLICTION_F3548_SPEC", Path(__file__).resolve().parents[3] / "shared" / "spec" / "astm-f3548-21-utm.yaml"))


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip(f"the F3548 OpenAPI document is not at {SPEC} (set DECONFLICTION_F3548_SPEC)")
    import yaml

    doc = yaml.safe_load(SPEC.read_text())
    # The document's UUID pattern says `\\-` (a literal backslash before each hyphen) in a YAML string,
    # which no UUID matches; the reference implementations read it as `-`. Corrected in memory only.
    uuid_format = doc["components"]["schemas"]["UUIDv4Format"]
    uuid_format["pattern"] = uuid_format["pattern"].replace("\\\\-", "-")
    return doc


@lru_cache(maxsize=None)
def _operations() -> list[tuple[str, re.Pattern, dict[str, Any]]]:
    found = []
    for path, item in document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                found.append((method.upper(), pattern, operation))
    # Literal paths before templated ones (/query before /{entityid}).
    return sorted(found, key=lambda f: f[1].pattern.count("[^/]+"))


def operation(method: str, path: str) -> dict[str, Any]:
    path = path.split("?")[0]
    for m, pattern, op in _operations():
        if m == method.upper() and pattern.match(path):
            return op
    raise AssertionError(f"{method} {path} is not an operation of the F3548 document")


def validator(schema_name: str):
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource("spec", Resource.from_contents(document(), default_specification=DRAFT4))
    return Draft4Validator({"$ref": f"spec#/components/schemas/{schema_name}"}, registry=registry)


def check(method: str, path: str, status: int, body: Any) -> str:
    """Assert the response is one the document allows; returns the schema name it was validated against."""
    op = operation(method, path)
    documented = op["responses"]
    assert str(status) in documented, f"{method} {path} answered {status}, which the document does not list ({sorted(documented)}): {body}"
    content = documented[str(status)].get("content", {}).get("application/json")
    if content is None:
        return ""
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    errors = sorted(validator(ref).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {status}: not a valid {ref}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return ref

"""A payload encoded once (transparency/canonical.Encoded) and spliced into the texts around it reads,
and hashes, exactly as if the whole had been encoded with Python's json in one go: the audit chain
and the Merkle leaves of older stores stay valid, and the verifier (which re-encodes what it reads)
agrees with the writer."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.transparency.canonical import Encoded, dumps, leaf_bytes, plain

# JSON values, with the awkward parts: unicode and quotes in keys and strings, floats near the
# exponent switch (1e-05, 1e16), nesting of dicts in lists in dicts.
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


@st.composite
def with_encoded_parts(draw, depth: int = 0):
    """A JSON object some of whose values (at any depth of dicts) are Encoded, and the plain object it stands for."""
    keys = draw(st.lists(st.text(max_size=6), max_size=5, unique=True))
    holding, truth = {}, {}
    for key in keys:
        choice = draw(st.integers(0, 2 if depth < 2 else 1))
        if choice == 0:
            holding[key] = truth[key] = draw(json_values)
        elif choice == 1:
            value = draw(json_values)
            holding[key], truth[key] = Encoded(value), value
        else:
            inner, inner_truth = draw(with_encoded_parts(depth + 1))
            holding[key] = Encoded(inner) if draw(st.booleans()) else inner
            truth[key] = inner_truth
    return holding, truth


def python_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@settings(max_examples=400, deadline=None)
@given(with_encoded_parts())
def test_a_payload_with_encoded_parts_encodes_as_the_whole_would(drawn):
    holding, truth = drawn
    assert dumps(holding) == python_json(truth)
    assert json.loads(dumps(holding)) == truth
    assert plain(holding) == truth
    assert Encoded(holding).text == python_json(truth)
    assert Encoded.whole(truth).text == python_json(truth) and Encoded.whole(truth).value is truth
    assert Encoded.under("conflict", Encoded(holding)).text == python_json({"conflict": truth})


@settings(max_examples=200, deadline=None)
@given(with_encoded_parts(), st.integers(1, 10**9), st.text(max_size=10), st.text(max_size=10))
def test_the_leaf_of_a_spliced_payload_is_the_leaf_of_the_whole(drawn, seq, actor, subject):
    holding, truth = drawn
    at = datetime(2026, 6, 1, 12, 30, tzinfo=timezone.utc)
    whole = python_json({"seq": seq, "at": at.isoformat(), "actor": actor, "action": "notice.filed", "subject": subject, "payload": truth})
    assert leaf_bytes(seq, at, actor, "notice.filed", subject, Encoded(holding)) == whole.encode()
    assert leaf_bytes(seq, at, actor, "notice.filed", subject, holding) == whole.encode()


def test_a_string_that_looks_like_a_placeholder_is_left_alone():
    tricky = {"a": "\ue0000", "b": Encoded([1.0, 1e-05, 1e16]), "c": ["\ue000", "0"]}
    assert dumps(tricky) == python_json({"a": "\ue0000", "b": [1.0, 1e-05, 1e16], "c": ["\ue000", "0"]})


# Coordinates as volumes carry them, with the numbers where pydantic_core and Python's json write the
# same float differently: below 1e-4 (1e-05 / 0.00001), from 1e16 (1e+16 / 1e16), NaN and infinities
# (NaN / null), and numbers that are not floats (true, 3).
awkward = st.sampled_from([0.0, -0.0, 1e-4, 9.999e-05, 1e-05, -1.5e-05, 5e-324, 10.00001, 1e16, -1e22, 179.99999999999997,
                           float("nan"), float("inf"), True, 3, -7])
coordinates = st.floats(-180, 180) | st.floats(-1e-3, 1e-3) | awkward
rings = st.lists(st.lists(coordinates, min_size=2, max_size=3), min_size=16, max_size=40)  # long enough for the fast path
shapes = st.recursive(
    rings | json_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(shapes)
def test_shapes_encode_as_pythons_json_would(value):
    """Encoded.shapes writes long coordinate arrays with pydantic_core's encoder: the text must be
    Python's json's, byte for byte, or every hash over a notice would change."""
    assert Encoded.shapes(value).text == json.dumps(value, sort_keys=True, separators=(",", ":"))
    assert Encoded.shapes(value).value is value


def test_a_long_ring_with_one_odd_number_is_written_as_python_writes_it():
    ring = [[2.0 + k / 1000, 48.0] for k in range(100)]
    for odd in (1e-05, 1e16, float("nan"), True):
        ring[57][0] = odd
        volumes = [{"footprint": {"kind": "polygon", "vertices": ring}, "altitude": {"lower_m": 0, "upper_m": 300.0}}]
        assert Encoded.shapes(volumes).text == json.dumps(volumes, sort_keys=True, separators=(",", ":"))

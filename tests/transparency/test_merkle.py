"""The Merkle tree against independent truths: the RFC 6962 test vectors published by the
transparency-dev/merkle project (proof/verify_test.go: leaves, roots of sizes 1-8, inclusion and
consistency proofs, and its ways of corrupting a proof), and pymerkle's RFC 9162 tree for roots of any
size that hypothesis draws."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from pymerkle import InmemoryTree

from deconfliction.transparency import merkle
from deconfliction.transparency.merkle import MemoryTree, ProofError, leaf_hash, verify_consistency, verify_inclusion

LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [bytes.fromhex(h) for h in [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]
EMPTY = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

# (1-based leaf, size, proof) and (size1, size2, proof) as published
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (1, 1, []),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


@pytest.fixture(scope="module")
def reference_tree() -> MemoryTree:
    tree = MemoryTree()
    for leaf in LEAVES:
        tree.append(leaf_hash(leaf))
    return tree


def test_roots_of_every_size_match_the_published_vectors(reference_tree):
    assert merkle.root_hash(0, {}) == EMPTY
    assert [reference_tree.root(n) for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize("leaf, size, proof", INCLUSION)
def test_inclusion_proofs_match_the_published_vectors_and_verify(reference_tree, leaf, size, proof):
    proof = [bytes.fromhex(p) for p in proof]
    assert reference_tree.inclusion_proof(leaf - 1, size) == proof
    verify_inclusion(leaf - 1, size, leaf_hash(LEAVES[leaf - 1]), proof, ROOTS[size - 1])


@pytest.mark.parametrize("old, new, proof", CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors_and_verify(reference_tree, old, new, proof):
    proof = [bytes.fromhex(p) for p in proof]
    assert reference_tree.consistency_proof(old, new) == proof
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _inclusion_corruptions(index, size, proof, root, leaf):
    """transparency-dev/merkle's corruptInclusionProof: every one of these must be refused."""
    probes = [
        (index - 1, size, root, leaf, proof), (index + 1, size, root, leaf, proof), (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof), (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof), (index, size, EMPTY, leaf, proof), (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, proof + [b""]), (index, size, root, leaf, proof + [root]),
        (index, size, root, leaf, [b""] + proof), (index, size, root, leaf, [root] + proof),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, leaf, flipped))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH] + proof[1:]))
    return probes


@pytest.mark.parametrize("leaf, size, proof", [v for v in INCLUSION if v[2]])
def test_every_corruption_of_an_inclusion_proof_is_refused(leaf, size, proof):
    proof = [bytes.fromhex(p) for p in proof]
    for probe in _inclusion_corruptions(leaf - 1, size, proof, ROOTS[size - 1], leaf_hash(LEAVES[leaf - 1])):
        with pytest.raises(ProofError):
            verify_inclusion(*probe[:2], probe[3], probe[4], probe[2])


@pytest.mark.parametrize("old, new, proof", [v for v in CONSISTENCY if v[2]])
def test_every_corruption_of_a_consistency_proof_is_refused(old, new, proof):
    proof = [bytes.fromhex(p) for p in proof]
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof), (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof), (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof), (old, new, r1, b"WrongRoot", proof), (old, new, r2, r1, proof),
        (old, new, r1, r2, []), (old, new, r1, r2, proof + [b""]), (old, new, r1, r2, proof + [r1]), (old, new, r1, r2, proof + [r2]),
        (old, new, r1, r2, [b""] + proof), (old, new, r1, r2, [r1] + proof), (old, new, r1, r2, [r2] + proof),
        (old, new, r1, r2, [proof[0]] + proof), (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for size1, size2, root1, root2, bad in probes:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, bad)


def test_a_smaller_size_after_a_larger_one_is_a_rollback():
    with pytest.raises(ProofError, match="rolled back"):
        verify_consistency(5, 4, ROOTS[4], ROOTS[3], [])


def test_two_roots_of_one_size_are_a_split_view():
    with pytest.raises(ProofError, match="two different roots"):
        verify_consistency(5, 5, ROOTS[4], ROOTS[5], [])


@settings(max_examples=40, deadline=None)
@given(entries=st.lists(st.binary(max_size=8), min_size=1, max_size=140), data=st.data())
def test_roots_agree_with_pymerkle_and_every_proof_verifies(entries, data):
    ours, theirs = MemoryTree(), InmemoryTree(algorithm="sha256")
    for entry in entries:
        ours.append(leaf_hash(entry))
        theirs.append_entry(entry)
    size = len(entries)
    assert ours.root() == theirs.get_root()
    old = data.draw(st.integers(0, size), label="old size")
    assert ours.root(old) == (theirs.get_root(old) if old else EMPTY)
    verify_consistency(old, size, ours.root(old), ours.root(), ours.consistency_proof(old))
    index = data.draw(st.integers(0, size - 1), label="leaf")
    verify_inclusion(index, size, leaf_hash(entries[index]), ours.inclusion_proof(index), theirs.get_root())


@settings(max_examples=30, deadline=None)
@given(size=st.integers(2, 300), data=st.data())
def test_a_changed_leaf_breaks_consistency_with_the_head_that_came_before(size, data):
    """Rewriting any leaf below an old head's size makes every later tree inconsistent with that head."""
    honest, forged = MemoryTree(), MemoryTree()
    old = data.draw(st.integers(1, size - 1), label="old size")
    changed = data.draw(st.integers(0, old - 1), label="rewritten leaf")
    for i in range(size):
        honest.append(leaf_hash(i.to_bytes(4, "big")))
        forged.append(leaf_hash((i if i != changed else 10**6).to_bytes(4, "big")))
    with pytest.raises(ProofError):
        verify_consistency(old, size, honest.root(old), forged.root(), forged.consistency_proof(old))


def test_proofs_read_at_most_two_stored_subtrees_per_level():
    size = 1_000_003
    for index in (0, 1, 524_287, 524_288, 999_999, size - 1):
        assert len(merkle.inclusion_nodes(index, size)) <= 2 * size.bit_length()
    for old in (1, 3, 524_288, 777_777, size - 1):
        assert len(merkle.consistency_nodes(old, size)) <= 2 * size.bit_length()

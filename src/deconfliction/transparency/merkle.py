"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1), with SHA-256.

A leaf's hash is SHA-256(0x00 || entry), an interior node's SHA-256(0x01 || left || right); a tree of n
leaves splits at the largest power of two below n. Proofs are lists of 32-byte hashes.

The proofs here are built from stored *complete subtrees*: a node (level, index) is the hash of leaves
[index * 2^level, (index + 1) * 2^level). A log that stores each complete subtree once, when its last
leaf arrives, answers any proof with O(log n) stored nodes (two per level at most) and never rehashes
its leaves. Every function that needs nodes first says which ones (`*_nodes`), so a store can fetch
them in one query, then computes from a dict of them.

Checked against the RFC 6962 vectors of the transparency-dev/merkle project and against pymerkle in
tests/transparency.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index): the complete subtree over leaves [index << level, (index + 1) << level)
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it claims."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


# Subtree hashes from stored complete subtrees ------------------------------------------------------

def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees whose hashes give MTH(D[start:end]) for a range that the RFC's recursion
    visits (start is aligned to the size of its left part): left to right, at most one per level."""
    nodes = []
    while end > start:
        size = end - start
        if size & (size - 1) == 0:
            level = size.bit_length() - 1
            nodes.append((level, start >> level))
            break
        k = _split(size)
        level = k.bit_length() - 1
        nodes.append((level, start >> level))
        start += k
    return nodes


def range_hash(start: int, end: int, stored: Mapping[Node, bytes]) -> bytes:
    if end == start:
        return EMPTY_ROOT
    hashes = [stored[node] for node in range_nodes(start, end)]
    result = hashes[-1]
    for left in reversed(hashes[:-1]):  # the right edge folds up: H(a, H(b, H(c, d)))
        result = node_hash(left, result)
    return result


def root_nodes(size: int) -> list[Node]:
    return range_nodes(0, size)


def root_hash(size: int, stored: Mapping[Node, bytes]) -> bytes:
    return range_hash(0, size, stored)


# Proofs as ranges: RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF, on [start, end) --------------------

def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))  # the proof lists siblings from the leaf upwards


def _consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, new, True  # SUBPROOF(m, D[start:end], b)
    m = old
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = _split(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    return list(reversed(ranges))


def _nodes_of(ranges: Iterable[tuple[int, int]]) -> list[Node]:
    return [node for start, end in ranges for node in range_nodes(start, end)]


def inclusion_nodes(index: int, size: int) -> list[Node]:
    _check_index(index, size)
    return _nodes_of(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, stored: Mapping[Node, bytes]) -> list[bytes]:
    _check_index(index, size)
    return [range_hash(s, e, stored) for s, e in _inclusion_ranges(index, size)]


def consistency_nodes(old: int, new: int) -> list[Node]:
    _check_sizes(old, new)
    return [] if old in (0, new) else _nodes_of(_consistency_ranges(old, new))


def consistency_proof(old: int, new: int, stored: Mapping[Node, bytes]) -> list[bytes]:
    _check_sizes(old, new)
    if old in (0, new):
        return []
    return [range_hash(s, e, stored) for s, e in _consistency_ranges(old, new)]


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")


def _check_sizes(old: int, new: int) -> None:
    if not 0 <= old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")


# Verification: RFC 9162 §2.1.3.2 and §2.1.4.2 -----------------------------------------------------

def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `leaf` is leaf `index` of the tree of `size` leaves with `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise ProofError unless the tree (new, new_root) extends the tree (old, old_root)."""
    if not 0 <= old <= new:
        raise ProofError(f"size {new} is smaller than size {old}: the log was rolled back")
    if old == new:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for size {old}")
        return
    if old == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than it should be")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than it should be")
    if fr != old_root:
        raise ProofError(f"the log no longer contains the tree of size {old} with that root (rewritten, reordered or truncated)")
    if sr != new_root:
        raise ProofError(f"the consistency proof does not lead to the root of size {new}")


# Appending: the frontier (the complete subtrees of the current size) -----------------------------

def frontier_nodes(size: int) -> list[Node]:
    return root_nodes(size)


def append(frontier: list[tuple[Node, bytes]], size: int, leaf: bytes, emit: Callable[[Node, bytes], None]) -> int:
    """Add one leaf hash to a tree of `size` leaves whose frontier is given (left to right, updated in
    place); `emit` receives every complete subtree the leaf completes (the leaf itself included).
    Returns the new size."""
    node, value = (0, size), leaf
    emit(node, value)
    while frontier and frontier[-1][0][0] == node[0]:
        (level, index), left = frontier.pop()
        node, value = (level + 1, index >> 1), node_hash(left, value)
        emit(node, value)
    frontier.append((node, value))
    return size + 1


def frontier_root(frontier: Sequence[tuple[Node, bytes]]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        result = node_hash(left, result)
    return result


class MemoryTree:
    """All complete subtrees of a tree in a dict: for checking an export, and for tests."""

    def __init__(self) -> None:
        self.nodes: dict[Node, bytes] = {}
        self.frontier: list[tuple[Node, bytes]] = []
        self.size = 0

    def append(self, leaf: bytes) -> None:
        self.size = append(self.frontier, self.size, leaf, self.nodes.__setitem__)

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self.size if size is None else size, self.nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.nodes)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self.size if new is None else new, self.nodes)

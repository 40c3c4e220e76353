"""The transparency log over HTTP: the latest signed tree head, a head of a given size, and inclusion
and consistency proofs between any two sizes. The operator and every party that may read may ask:
heads and proofs are hashes and sizes only, and a party can check the server only if it may question it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ...errors import NotFound
from ...transparency.heads import TreeHead
from ..auth import Principal, reader_or_admin, system_of
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1/log", tags=["transparency log"])


def Size(description: str):  # noqa: N802 - a fresh Query per parameter (FastAPI binds each to one name)
    return Query(..., ge=0, le=2**62, description=description)


class InclusionOut(BaseModel):
    index: int
    size: int
    proof: list[str] = Field(description="RFC 9162 audit path, hex, from the leaf upwards")


class ConsistencyOut(BaseModel):
    old: int
    new: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, hex")


class LogKeyOut(BaseModel):
    log_id: str
    public_key: str = Field(description="Ed25519, raw, base64")


@router.get("/head", response_model=TreeHead, responses=responses(), summary="The latest signed tree head (size, root hash, time)")
def head(request: Request, who: Principal = Depends(reader_or_admin)):
    return reply(system_of(request).tree_head().model_dump(mode="json"))


@router.get("/heads/{size}", response_model=TreeHead, responses=responses(), summary="The signed head the server gave out at this size")
def head_at(request: Request, size: int, who: Principal = Depends(reader_or_admin)):
    found = system_of(request).signed_tree_head(size)
    if found is None:
        raise NotFound(f"no signed head of size {size}", field="size")
    return reply(found.model_dump(mode="json"))


@router.get("/key", response_model=LogKeyOut, responses=responses(), summary="The key this server signs heads with")
def key(request: Request, who: Principal = Depends(reader_or_admin)):
    signer = system_of(request).log_key
    return reply({"log_id": signer.id, "public_key": signer.public_b64})


@router.get("/proofs/inclusion", response_model=InclusionOut, responses=responses(), summary="Leaf `index` (0-based; entry seq - 1) in the tree of `size` leaves")
def inclusion(request: Request, index: int = Size("0-based leaf index"), size: int = Size("tree size"), who: Principal = Depends(reader_or_admin)):
    proof = system_of(request).inclusion_proof(index, size)
    return reply({"index": index, "size": size, "proof": [p.hex() for p in proof]})


@router.get("/proofs/consistency", response_model=ConsistencyOut, responses=responses(), summary="The tree of `new` leaves extends the tree of `old` leaves")
def consistency(request: Request, old: int = Size("the earlier tree size"), new: int = Size("the later tree size"), who: Principal = Depends(reader_or_admin)):
    proof = system_of(request).consistency_proof(old, new)
    return reply({"old": old, "new": new, "proof": [p.hex() for p in proof]})

"""An agreement as a file: KML, GeoJSON or conflicts CSV (deconfliction.export), with what the
caller may see through the rest of the API and nothing more."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ... import export
from .. import access
from ..auth import Principal, reader, system_of
from ..problems import responses

router = APIRouter(prefix="/v1", tags=["export"])


@router.get("/agreements/{agreement_id}/export", responses=responses(404), response_class=Response,
            summary="The agreement's notices (others' minimised), your conflicts and its zones as KML or GeoJSON; your conflicts as CSV")
def export_agreement(
    request: Request,
    agreement_id: str = Path(max_length=64),
    file_format: Literal["kml", "geojson", "csv"] = Query("geojson", alias="format"),
    who: Principal = Depends(reader),
):
    system = system_of(request)
    access.agreement(system, who.party_id, agreement_id)
    bundle = export.gather(system, who.party_id, agreement_id)
    body = export.render(bundle, file_format)
    filename = f"{agreement_id}.{file_format}"
    return Response(body, media_type=export.MEDIA_TYPES[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

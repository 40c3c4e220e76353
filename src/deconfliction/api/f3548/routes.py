"""The /dss/v1 routes: a FastAPI sub-application mounted by create_app when F3548 is enabled.

It authenticates (auth.py), parses with the standard's types (wire.py), runs the logic in one store
transaction and answers with the standard's bodies: errors are `{"message": …}` (ErrorResponse),
a missing key is an AirspaceConflictResponse. No business logic here."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from fastapi import Body, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from uas_standards.astm.f3548.v21 import api

from ...errors import STATUS_BY_CODE, DeconflictionError, InvalidInput
from ...rules import idempotency
from ..idempotency import _replayed
from ...service import Deconfliction
from ...f3548 import constraints as constraint_rules
from ...f3548 import intents as intent_rules
from ...f3548 import subscriptions as subscription_rules
from ...f3548 import uss as uss_rules
from ...f3548 import wire
from .auth import Uss, UssVerifier
from ...f3548.config import F3548Config
from ...f3548.intents import AirspaceConflict

if TYPE_CHECKING:
    from ...store import Transaction

T = TypeVar("T")

SC, CM, CP = "utm.strategic_coordination", "utm.constraint_management", "utm.constraint_processing"
CMSA, AA = "utm.conformance_monitoring_sa", "utm.availability_arbitration"

# The standard has no 422: what the native API calls too late or beyond the horizon, or an
# Idempotency-Key used for another request, is a bad request here.
STATUS = {**STATUS_BY_CODE, "too_late": 400, "beyond_horizon": 400, "idempotency_key_reused": 400}


def error_response(error: DeconflictionError) -> JSONResponse:
    status = STATUS[error.code]
    body: dict[str, Any] = {"message": f"{error.field}: {error.message}" if error.field else error.message}
    if isinstance(error, AirspaceConflict):
        body["missing_operational_intents"] = error.details["missing_operational_intents"]
        body["missing_constraints"] = error.details["missing_constraints"]
    headers = {"WWW-Authenticate": 'Bearer realm="dss"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


class Dss:
    """What every route needs: the system, the interface's configuration and the token verifier."""

    def __init__(self, system: Deconfliction, config: F3548Config, verifier: UssVerifier):
        self.system, self.config, self.verifier = system, config, verifier

    def read(self, work: Callable[[Transaction], T]) -> T:
        return self.system.read(work)

    def write(self, work: Callable[[Transaction], T]) -> T:
        return self.system.write(work)

    def uss(self, request: Request) -> Uss:
        """The caller, enrolled in the agreement on its first request (a read first: usually nothing to write).
        An Idempotency-Key is the USS's own and guards the request's own write, not the enrolment (which
        a retry finds done), so the caller is named for it only after (api/idempotency.py)."""
        caller = self.verifier.verify(request.headers.get("authorization"))
        if not self.read(lambda tx: uss_rules.is_member(tx, self.config, caller.id)):
            self.write(lambda tx: uss_rules.enrol(tx, self.config, caller.id, self.system.clock()))
        idempotency.note_caller(caller.id)
        return caller


def create_dss_app(system: Deconfliction, config: F3548Config, verifier: UssVerifier) -> FastAPI:
    dss = Dss(system, config, verifier)
    app = FastAPI(title="ASTM F3548-21 DSS", openapi_url=None, docs_url=None, redoc_url=None)
    # `DELETE …/{id}/` (an empty OVN or version) is a bad request, as in the reference DSS, not a
    # redirect to `…/{id}` that could only end in 405.
    app.router.redirect_slashes = False
    cfg = config

    @app.exception_handler(DeconflictionError)
    async def _domain(request: Request, exc: DeconflictionError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(idempotency.Replay)
    async def _replay(request: Request, exc: idempotency.Replay):
        return _replayed(exc.record)  # the first request's reply, recorded (api/idempotency.py)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{"loc": ("body",), "msg": "invalid request"}])[0]
        field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
        return JSONResponse({"message": f"{field}: {first.get('msg', 'invalid')}"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)

    def caller(request: Request) -> Uss:
        return dss.uss(request)

    def here(request: Request) -> F3548Config:
        """The configuration with the address the caller used, where the operator's zones' details are."""
        details = str(request.url_for("zone_details", entityid="-"))
        return replace(cfg, zone_details_url=details.removesuffix("/uss/v1/constraints/-"))

    def now():
        return system.clock()

    def area_of_interest(body: Any, max_km2: float, default_hours: float):
        """The query's Volume4D, or None when its time_end is before its time_start (nothing is in it)."""
        if not isinstance(body, dict) or not body.get("area_of_interest"):
            raise InvalidInput("is required", field="area_of_interest")
        try:
            volume = wire.volume(body["area_of_interest"], "area_of_interest", now=now(), required=False,
                                 max_vertices=cfg.intent_max_vertices, default_hours=default_hours, query=True)
        except wire.EmptyTime:
            return None
        wire.check_area([volume], max_km2, "area_of_interest")
        return volume

    def extents(params: dict, max_vertices: int, max_km2: float) -> list:
        volumes = [wire.volume(v, f"extents.{i}", now=now(), required=True, max_vertices=max_vertices) for i, v in enumerate(params["extents"])]
        if not volumes:
            raise InvalidInput("at least one volume", field="extents")
        wire.check_area(volumes, max_km2, "extents")
        return volumes

    # Health ------------------------------------------------------------------------------------
    @app.get("/healthy")
    def healthy():
        try:
            system.last_event_seq()
        except Exception as exc:  # noqa: BLE001 - any failure of the store is 'not healthy'
            return JSONResponse({"message": f"the store does not answer: {type(exc).__name__}"}, status_code=503)
        return PlainTextResponse("ok")

    # Operational intent references -----------------------------------------------------------------
    @app.post("/operational_intent_references/query")
    def query_intents(body: Any = Body(...), uss: Uss = Depends(caller)):
        uss.require({SC}, {CMSA})
        wire.parse(body, api.QueryOperationalIntentReferenceParameters)
        area = area_of_interest(body, cfg.max_area_km2, cfg.intent_horizon_days * 24)
        return {"operational_intent_references": dss.read(lambda tx: intent_rules.query(tx, cfg, uss.id, area)) if area is not None else []}

    @app.get("/operational_intent_references/{entityid}")
    def get_intent(entityid: str, uss: Uss = Depends(caller)):
        uss.require({SC}, {CMSA})
        entity = wire.entity_id(entityid)
        return {"operational_intent_reference": dss.read(lambda tx: intent_rules.get(tx, cfg, uss.id, entity))}

    def put_intent(request: Request, entityid: str, ovn: str | None, body: Any, uss: Uss) -> dict:
        uss.require({SC}, {SC, CP}, {CMSA})
        notice_id = wire.entity_id(entityid)
        params = wire.parse(body, api.PutOperationalIntentReferenceParameters)
        volumes = extents(params, cfg.intent_max_vertices, cfg.max_area_km2)
        reference, subscribers = intent_rules.put_from_snapshot(
            dss.read, dss.write, here(request), uss=uss.id, scopes=uss.scopes, now=now(), entity_id=notice_id, ovn=ovn, params=params,
            volumes=volumes)
        return {"subscribers": subscribers, "operational_intent_reference": reference}

    @app.put("/operational_intent_references/{entityid}", status_code=201)
    def create_intent(request: Request, entityid: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_intent(request, entityid, None, body, uss)

    @app.put("/operational_intent_references/{entityid}/{ovn}")
    def update_intent(request: Request, entityid: str, ovn: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_intent(request, entityid, ovn, body, uss)

    @app.api_route("/operational_intent_references/{entityid}/", methods=["PUT", "DELETE"])
    @app.api_route("/constraint_references/{entityid}/", methods=["PUT", "DELETE"])
    def without_ovn(entityid: str, uss: Uss = Depends(caller)):
        raise InvalidInput("the OVN of the entity to change is missing", field="ovn")

    @app.api_route("/subscriptions/{subscriptionid}/", methods=["PUT", "DELETE"])
    def subscription_without_version(subscriptionid: str, uss: Uss = Depends(caller)):
        raise InvalidInput("the version of the subscription to change is missing", field="version")

    @app.delete("/operational_intent_references/{entityid}/{ovn}")
    def delete_intent(entityid: str, ovn: str, uss: Uss = Depends(caller)):
        uss.require({SC}, {CMSA})
        notice_id = wire.entity_id(entityid)
        reference, subscribers = dss.write(lambda tx: intent_rules.delete(tx, cfg, uss=uss.id, now=now(), entity_id=notice_id, ovn=ovn))
        return {"subscribers": subscribers, "operational_intent_reference": reference}

    # Constraint references ---------------------------------------------------------------------------
    @app.post("/constraint_references/query")
    def query_constraints(request: Request, body: Any = Body(...), uss: Uss = Depends(caller)):
        uss.require({CM}, {CP})
        wire.parse(body, api.QueryConstraintReferenceParameters)
        area = area_of_interest(body, cfg.constraint_max_area_km2, cfg.constraint_horizon_days * 24)
        at, config = now(), here(request)
        return {"constraint_references": dss.read(
            lambda tx: [constraint_rules.reference(tx, c, uss.id, config, at) for c in constraint_rules.intersecting(tx, config, [area], at)])
            if area is not None else []}

    @app.get("/constraint_references/{entityid}")
    def get_constraint(request: Request, entityid: str, uss: Uss = Depends(caller)):
        uss.require({CM}, {CP})
        constraint_id = wire.entity_id(entityid)
        at, config = now(), here(request)
        return {"constraint_reference": dss.read(
            lambda tx: constraint_rules.reference(tx, constraint_rules.get(tx, config, constraint_id), uss.id, config, at))}

    @app.get("/zones/uss/v1/constraints/{entityid}")
    def zone_details(request: Request, entityid: str, uss: Uss = Depends(caller)):
        """The operator's zones have no USS: this server answers the USS API's Constraint for them."""
        uss.require({CP}, {CM})
        at, config = now(), here(request)
        return dss.read(lambda tx: constraint_rules.details(tx, config, wire.entity_id(entityid), at))

    def put_constraint(request: Request, entityid: str, ovn: str | None, body: Any, uss: Uss) -> dict:
        uss.require({CM})
        constraint_id = wire.entity_id(entityid)
        params = wire.parse(body, api.PutConstraintReferenceParameters)
        volumes = extents(params, cfg.constraint_max_vertices, cfg.constraint_max_area_km2)
        at, config = now(), here(request)

        def work(tx):
            zone, subscribers = constraint_rules.put(
                tx, config, uss=uss.id, now=at, constraint_id=constraint_id, ovn=ovn, volumes=volumes, uss_base_url=str(params["uss_base_url"]))
            return {"subscribers": subscribers, "constraint_reference": constraint_rules.reference(tx, zone, uss.id, config, at)}

        return dss.write(work)

    @app.put("/constraint_references/{entityid}", status_code=201)
    def create_constraint(request: Request, entityid: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_constraint(request, entityid, None, body, uss)

    @app.put("/constraint_references/{entityid}/{ovn}")
    def update_constraint(request: Request, entityid: str, ovn: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_constraint(request, entityid, ovn, body, uss)

    @app.delete("/constraint_references/{entityid}/{ovn}")
    def delete_constraint(request: Request, entityid: str, ovn: str, uss: Uss = Depends(caller)):
        uss.require({CM})
        constraint_id = wire.entity_id(entityid)
        at, config = now(), here(request)

        def work(tx):
            zone, subscribers = constraint_rules.delete(tx, config, uss=uss.id, now=at, constraint_id=constraint_id, ovn=ovn)
            return {"subscribers": subscribers, "constraint_reference": constraint_rules.reference(tx, zone, uss.id, config, at)}

        return dss.write(work)

    # Subscriptions ------------------------------------------------------------------------------------
    @app.post("/subscriptions/query")
    def query_subscriptions(body: Any = Body(...), uss: Uss = Depends(caller)):
        uss.require({CP}, {SC})
        wire.parse(body, api.QuerySubscriptionParameters)
        area = area_of_interest(body, cfg.max_area_km2, cfg.subscription_max_hours)
        return {"subscriptions": dss.read(lambda tx: [subscription_rules.to_wire(tx, s) for s in subscription_rules.query(tx, cfg, uss.id, area, now())])
                if area is not None else []}

    @app.get("/subscriptions/{subscriptionid}")
    def get_subscription(subscriptionid: str, uss: Uss = Depends(caller)):
        uss.require({CP}, {SC})
        sid = wire.entity_id(subscriptionid, "subscriptionid")
        return {"subscription": dss.read(lambda tx: subscription_rules.to_wire(tx, subscription_rules.own(tx, cfg, uss.id, sid)))}

    def put_subscription(request: Request, subscriptionid: str, version: str | None, body: Any, uss: Uss) -> dict:
        uss.require({CP}, {SC})
        sid = wire.entity_id(subscriptionid, "subscriptionid")
        params = wire.parse(body, api.PutSubscriptionParameters)
        existing = dss.read(lambda tx: tx.get_f3548_subscription(sid)) if version is not None else None
        volume = wire.volume(subscription_rules.times_from(params["extents"], existing), "extents", now=now(), required=False,
                             max_vertices=cfg.intent_max_vertices, default_hours=cfg.subscription_max_hours)
        wire.check_area([volume], cfg.max_area_km2, "extents")
        intents, constraints = bool(params.get("notify_for_operational_intents")), bool(params.get("notify_for_constraints"))

        def work(tx):
            sub = subscription_rules.put(
                tx, cfg, uss=uss.id, scopes=uss.scopes, now=now(), subscription_id=sid, version=version, volume=volume,
                uss_base_url=str(params["uss_base_url"]), intents=intents, constraints=constraints)
            # as the reference DSS: the references of a kind only when the subscription asks for that kind
            out: dict[str, Any] = {"subscription": subscription_rules.to_wire(tx, sub)}
            if intents:
                out["operational_intent_references"] = intent_rules.query(tx, cfg, uss.id, volume)
            if constraints:
                at, config = now(), here(request)
                out["constraint_references"] = [constraint_rules.reference(tx, c, uss.id, config, at)
                                                for c in constraint_rules.intersecting(tx, config, [volume], at)]
            return out

        return dss.write(work)

    @app.put("/subscriptions/{subscriptionid}")
    def create_subscription(request: Request, subscriptionid: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_subscription(request, subscriptionid, None, body, uss)

    @app.put("/subscriptions/{subscriptionid}/{version}")
    def update_subscription(request: Request, subscriptionid: str, version: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        return put_subscription(request, subscriptionid, version, body, uss)

    @app.delete("/subscriptions/{subscriptionid}/{version}")
    def delete_subscription(subscriptionid: str, version: str, uss: Uss = Depends(caller)):
        uss.require({CP}, {SC})
        sid = wire.entity_id(subscriptionid, "subscriptionid")

        def work(tx):
            sub = subscription_rules.delete(tx, cfg, uss=uss.id, now=now(), subscription_id=sid, version=version)
            return {"subscription": {**subscription_rules.to_wire(tx, sub), "dependent_operational_intents": []}}

        return dss.write(work)

    # Reports and USS availability -------------------------------------------------------------------------
    @app.post("/reports", status_code=201)
    def make_report(body: Any = Body(...), uss: Uss = Depends(caller)):
        uss.require({CM}, {CP}, {SC}, {CMSA}, {AA})
        wire.parse(body, api.ErrorReport)
        return dss.write(lambda tx: uss_rules.report(tx, reporter=uss.id, body=body, now=now())).report

    @app.get("/uss_availability/{uss_id}")
    def get_availability(uss_id: str, uss: Uss = Depends(caller)):
        uss.require({AA}, {SC}, {CMSA})
        return dss.read(lambda tx: uss_rules.availability_to_wire(uss_rules.availability(tx, uss_id)))

    @app.put("/uss_availability/{uss_id}")
    def set_availability(uss_id: str, body: Any = Body(...), uss: Uss = Depends(caller)):
        uss.require({AA})
        params = wire.parse(uss_rules.availability_any_case(body), api.SetUssAvailabilityStatusParameters)
        return dss.write(lambda tx: uss_rules.availability_to_wire(uss_rules.set_availability(
            tx, uss_id=uss_id, availability_state=wire.text(params["availability"]),
            old_version=str(params.get("old_version") or ""), actor=uss.id, now=now())))

    return app


def mount(app: FastAPI, system: Deconfliction, settings: Any) -> None:
    """Serve the interface at /dss/v1 of `app` (ApiSettings: f3548_agreement, the JWT key files,
    audiences and issuer)."""
    if not settings.jwt_key_files or not settings.jwt_audiences:
        raise ValueError("the F3548 interface needs a JWT public key and audience (--jwt-public-key, --jwt-audience)")
    verifier = UssVerifier.from_files(settings.jwt_key_files, settings.jwt_audiences, settings.jwt_issuer)
    app.mount("/dss/v1", create_dss_app(system, F3548Config(agreement_id=settings.f3548_agreement), verifier))

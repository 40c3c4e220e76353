"""Routes by capability; each module has a `router`."""

from . import (
    acknowledgments,
    agreements,
    audit,
    channels,
    compliance,
    conflicts,
    events,
    exports,
    health,
    hotline,
    notices,
    parties,
    subscriptions,
    tokens,
    tracks,
    webhooks,
)

ROUTERS = [
    health.router,
    agreements.router,
    channels.router,
    compliance.router,
    parties.router,
    notices.router,
    conflicts.router,
    acknowledgments.router,
    hotline.router,
    subscriptions.router,
    events.router,
    webhooks.router,
    tokens.router,
    audit.router,
    tracks.router,
    exports.router,
]

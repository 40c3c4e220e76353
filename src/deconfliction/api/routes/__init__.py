"""Routes by capability; each module has a `router`."""

from . import (
    acknowledgments,
    agreements,
    audit,
    channels,
    compliance,
    conflicts,
    events,
    health,
    hotline,
    notices,
    parties,
    subscriptions,
    tokens,
    tracks,
    transparency,
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
    transparency.router,
    tracks.router,
]

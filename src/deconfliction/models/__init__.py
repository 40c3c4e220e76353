"""The domain's records: agreements and parties, notices, conflicts, events, deadlines, hotline
messages, F3548 records, and the results the rules return. Plain data: they import only geometry,
units and errors, so every layer above (store, rules, workers, facade, front ends) may use them."""

from .agreements import Agreement, Channel, ChannelAssignment, Party, Separation, agreement_from_dict, load_toml
from .domain import (
    LIVE_STATES, MESSAGE_KINDS, TRANSITIONS, AuditEntry, ChannelRef, Conflict, Credential, Deadline, Delivery, Endpoint, Event,
    HotlineMessage, InboxItem, LineStatus, MessageAcknowledgment, MessageRefs, MinimisedNotice, Notice, NoticePrivate, Subscription,
)
from .f3548 import DssReport, IntentRecord, SubscriptionRecord, UssAvailability
from .results import Check, Filing, Finding
from .zones import RESTRICTIONS, VerticalLimit, Zone, ZoneHit

__all__ = [
    "LIVE_STATES", "MESSAGE_KINDS", "TRANSITIONS",
    "Agreement", "AuditEntry", "Channel", "ChannelAssignment", "ChannelRef", "Conflict", "Credential", "Deadline",
    "Check", "Delivery", "DssReport", "Endpoint", "Event", "Filing", "Finding", "HotlineMessage", "InboxItem", "IntentRecord", "LineStatus",
    "MessageAcknowledgment", "MessageRefs", "MinimisedNotice", "Notice", "NoticePrivate", "Party", "Separation", "Subscription",
    "SubscriptionRecord", "UssAvailability", "agreement_from_dict", "load_toml",
    "RESTRICTIONS", "VerticalLimit", "Zone", "ZoneHit",
]

"""Tactical monitor: live tracks in, predicted and actual loss of separation and non-conformance out.

    monitor = Monitor(MonitorConfig(minima=Minima(9260, 304.8, 300)), sink=print, channel_for=..., inside=...)
    monitor.ingest(reports)      # PositionReport objects or mappings with the same field names (SI units)
    monitor.step(now)            # one detection cycle at `now` (UTC epoch seconds); alerts go to the sink

The detection engine (`detect`, `all_pairs`, `Traffic`, `Minima`) is usable on its own, on arrays.
"""

from .alerts import AircraftState, Alert, AlertSink, ChannelFor, Hysteresis
from .conformance import InsideCheck, volumes_checker
from .engine import Encounters, Minima, Traffic, all_pairs, candidate_pairs, detect, evaluate_pairs
from .feeds import LiveFeed, follow_sbs, listen_sbs
from .monitor import CycleResult, Monitor, MonitorConfig
from .parties import PartyAssigner, operator_of
from .replay import ReplaySummary, read_reports, read_table, replay, reports_from_table
from .reports import MalformedReport, PositionReport, problem_with, report_from_mapping
from .sbs import SbsDecoder, format_sbs, parse_sbs_line
from .tracks import IngestResult, TrackTable

__all__ = [
    "AircraftState", "Alert", "AlertSink", "ChannelFor", "CycleResult", "Encounters", "Hysteresis", "IngestResult",
    "InsideCheck", "LiveFeed", "MalformedReport", "Minima", "Monitor", "MonitorConfig", "PartyAssigner",
    "PositionReport", "ReplaySummary", "SbsDecoder", "Traffic", "TrackTable", "all_pairs", "candidate_pairs", "detect",
    "evaluate_pairs", "follow_sbs", "format_sbs", "listen_sbs", "operator_of", "parse_sbs_line", "problem_with",
    "read_reports", "read_table", "replay", "report_from_mapping", "reports_from_table", "volumes_checker",
]

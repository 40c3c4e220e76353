"""Replay: file formats, the CLI, and real ADS-B traffic checked against an independent computation."""

import gzip
import json
import math
from pathlib import Path

import pytest
from pyproj import Geod
from typer.testing import CliRunner

from deconfliction.monitor import Monitor, PartyAssigner, read_reports, replay
from deconfliction.cli.monitor import register

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
QUICKSTART = DATA / "adsb" / "quickstart.json.gz"
FT, KT, FPM = 0.3048, 1852 / 3600, 0.3048 / 60
ROWS = [
    # timestamp ms, icao24, callsign, lat, lon, alt ft, gs kt, track, vr fpm, onground
    (1633608000000, "3944ef", "AFR12AB", 48.0, 2.00, 35000, 450, 90.0, 0, False),
    (1633608000000, "4ca2d6", "EIN5FK", 48.0, 2.27, 35000, 450, 270.0, 0, False),
    (1633608001000, "3944ef", "AFR12AB", 48.0, 2.003, 35000, 450, 90.0, 0, False),
    (1633608001000, "4ca2d6", "EIN5FK", 48.0, 2.267, 35000, 450, 270.0, 0, False),
    (1633608001000, "39ac47", "FHMJP", 48.0, 2.1, 0, 0, 0.0, 0, True),
    (1633608002000, "4ca2d6", "EIN5FK", 91.0, 2.264, 35000, 450, 270.0, 0, False),
]
COLUMNS = ["timestamp", "icao24", "callsign", "latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate", "onground"]


def records():
    return [dict(zip(COLUMNS, row)) for row in ROWS]


@pytest.fixture(params=["json", "json.gz", "csv", "parquet", "sbs"])
def track_file(request, tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / f"tracks.{request.param}"
    frame = pd.DataFrame(records())
    if request.param == "json":
        path.write_text(json.dumps(records()))
    elif request.param == "json.gz":
        with gzip.open(path, "wt") as stream:
            json.dump(records(), stream)
    elif request.param == "csv":
        frame.assign(timestamp=pd.to_datetime(frame.timestamp, unit="ms", utc=True)).to_csv(path, index=False)
    elif request.param == "parquet":
        frame.assign(timestamp=pd.to_datetime(frame.timestamp, unit="ms")).to_parquet(path)
    else:
        from datetime import datetime, timezone

        from deconfliction.monitor import format_sbs

        lines = []
        for ms, hexid, call, lat, lon, alt, gs, track, vr, ground in ROWS:
            when = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
            lines.append(format_sbs(1, hexid, when, callsign=call))
            lines.append(format_sbs(3, hexid, when, altitude_ft=alt, lat=lat, lon=lon, on_ground=ground))
            lines.append(format_sbs(4, hexid, when, ground_speed_kt=gs, track_deg=track, vertical_rate_fpm=vr))
        path.write_text("\n".join(lines) + "\n")
    return path


def test_every_format_reads_to_the_same_reports_in_si_units(track_file):
    reports, _ = read_reports(track_file)
    positions = [r for r in reports if r.has_position]
    assert {r.party for r in reports} == {"AFR", "EIN"}  # the ground row is skipped
    first = next(r for r in positions if r.aircraft == "3944ef")
    assert first.time == 1633608000.0
    assert first.altitude_m == pytest.approx(35000 * FT) and first.datum == "AMSL"
    velocity = next(r for r in reports if r.aircraft == "3944ef" and r.has_velocity)
    assert velocity.ground_speed_ms == pytest.approx(450 * KT)
    monitor = Monitor()
    replay(monitor, reports)
    assert monitor.totals.malformed in (0, 1)  # the 91° latitude (SBS drops it earlier, as unreadable)
    assert len(monitor.separation.open) == 1


def test_replay_command_prints_encounters_and_a_summary(tmp_path):
    import typer

    path = tmp_path / "tracks.json"
    path.write_text(json.dumps(records()))
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps typer from collapsing the app
    result = CliRunner().invoke(app, ["replay", str(path), "--as-fast-as-possible", "--lateral", "5 NM"])
    assert result.exit_code == 0, result.output
    assert "separation.predicted opened" in result.output and "AFR12AB" in result.output
    assert "1 malformed" in result.output
    as_json = CliRunner().invoke(app, ["replay", str(path), "--as-fast-as-possible", "--json"])
    lines = [json.loads(line) for line in as_json.stdout.splitlines() if line.startswith("{")]
    assert lines[0]["kind"] == "separation.predicted" and lines[-1]["summary"]["malformed"] == 1
    bad = CliRunner().invoke(app, ["replay", str(path), "--lateral", "five miles"])
    assert bad.exit_code != 0 and "cannot read" in bad.output


def test_real_time_replay_is_paced_by_the_wall_clock():
    from deconfliction.monitor import PositionReport

    reports = [PositionReport(party="P", aircraft="a", time=1e9 + s, lat=0.0, lon=0.0) for s in range(0, 121, 10)]
    clock = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    summary = replay(Monitor(), reports, speed=60, cycle_s=10, sleep=sleep, wall_clock=lambda: clock[0])
    assert summary.cycles == 13 and sum(sleeps) == pytest.approx(2.0)


# --- real data -------------------------------------------------------------------------------

GEOD = Geod(ellps="WGS84")
SLICE_START, SLICE_MINUTES = 1633608000 + 15 * 60, 6  # 12:15–12:21 UTC, a busy few minutes


@pytest.fixture(scope="module")
def quickstart_slice():
    if not QUICKSTART.exists():
        pytest.skip(f"real ADS-B data not present at {QUICKSTART} (a fresh clone has no ../shared)")
    reports, _ = read_reports(QUICKSTART, parties=PartyAssigner())
    return [r for r in reports if SLICE_START - 60 <= r.time <= SLICE_START + SLICE_MINUTES * 60]


def reference_states(reports, now, stale_after):
    """Each aircraft's state at `now`, merged row by row (position and velocity separately)."""
    state = {}
    for r in reports:
        if r.time > now:
            break
        s = state.setdefault((r.party, r.aircraft), {})
        s["seen"] = r.time
        if r.lat is not None:
            s.update(t=r.time, lat=r.lat, lon=r.lon, ground=r.on_ground)
            if r.altitude_m is not None:
                s["alt"] = r.altitude_m
        if r.ground_speed_ms is not None:
            s.update(gs=r.ground_speed_ms, trk=r.track_deg, vs=r.vertical_rate_ms or 0.0)
    return {k: s for k, s in state.items() if now - s["seen"] <= stale_after and {"t", "alt", "gs"} <= s.keys() and not s["ground"]}


def reference_conflicts(states, now, lateral, vertical, lookahead):
    """Per-pair loop on geodesics: move each aircraft along its track to `now`, take the pair's
    relative position from the geodesic between them (in the first aircraft's east/north frame),
    turn the second's velocity by the convergence of meridians, and solve for the crossing times."""
    keys = sorted(states)
    found = set()
    for a_index, ka in enumerate(keys):
        for kb in keys[a_index + 1:]:
            if ka[0] == kb[0]:
                continue
            a, b = states[ka], states[kb]
            lon_a, lat_a, _ = GEOD.fwd(a["lon"], a["lat"], a["trk"], a["gs"] * (now - a["t"]))
            lon_b, lat_b, _ = GEOD.fwd(b["lon"], b["lat"], b["trk"], b["gs"] * (now - b["t"]))
            azimuth, back_azimuth, distance = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
            x, y = distance * math.sin(math.radians(azimuth)), distance * math.cos(math.radians(azimuth))
            turn = math.radians((back_azimuth + 180.0) - azimuth)  # b's north, seen from a's frame
            trk_b = math.radians(b["trk"]) - turn
            u = b["gs"] * math.sin(trk_b) - a["gs"] * math.sin(math.radians(a["trk"]))
            v = b["gs"] * math.cos(trk_b) - a["gs"] * math.cos(math.radians(a["trk"]))
            z = (b["alt"] + b["vs"] * (now - b["t"])) - (a["alt"] + a["vs"] * (now - a["t"]))
            w = b["vs"] - a["vs"]
            # lateral: |(x, y) + (u, v) t| < lateral
            qa, qb, qc = u * u + v * v, 2 * (x * u + y * v), x * x + y * y - lateral**2
            if qa < 1e-12:
                if qc >= 0:
                    continue
                lat_in, lat_out = -math.inf, math.inf
            else:
                disc = qb * qb - 4 * qa * qc
                if disc <= 0:
                    continue
                lat_in, lat_out = (-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)
            if abs(w) < 1e-9:
                if abs(z) >= vertical:
                    continue
                ver_in, ver_out = -math.inf, math.inf
            else:
                ver_in, ver_out = sorted(((-vertical - z) / w, (vertical - z) / w))
            start, end = max(lat_in, ver_in, 0.0), min(lat_out, ver_out, lookahead)
            if start < end:
                found.add((ka, kb))
    return found


def test_quickstart_alerts_match_an_independent_brute_force_computation(quickstart_slice):
    minima = dict(lateral=9_260.0, vertical=304.8, lookahead=300.0)
    monitor = Monitor()
    instants = {float(SLICE_START + 30 * k) for k in range(1, 2 * SLICE_MINUTES)}
    by_engine = {}

    def record(result, done):
        if result.now in instants:
            keys = monitor.tracks.keys
            slots = monitor.last_slots
            e = monitor.last_encounters
            by_engine[result.now] = {tuple(sorted((keys[slots[i]], keys[slots[j]]))) for i, j in zip(e.first, e.second)}

    reports = quickstart_slice
    first = reports[0].time
    replay(monitor, reports, cycle_s=1.0, on_cycle=record)
    assert first <= min(instants) and set(by_engine) == instants
    compared = conflicts = 0
    for now, engine_pairs in sorted(by_engine.items()):
        states = reference_states(reports, now, monitor.config.stale_after_s)
        assert len(states) >= 20  # a few dozen aircraft
        # Boundary cases may fall either way between two correct computations: a conflict must be
        # found by the reference with slightly wider minima, and one found with slightly narrower
        # minima must be found by the engine.
        wide = reference_conflicts(states, now, minima["lateral"] + 15, minima["vertical"] + 0.5, minima["lookahead"] + 1)
        narrow = reference_conflicts(states, now, minima["lateral"] - 15, minima["vertical"] - 0.5, minima["lookahead"] - 1)
        assert narrow <= engine_pairs <= wide, (now, engine_pairs ^ narrow, wide - engine_pairs)
        compared += 1
        conflicts += len(engine_pairs)
    assert compared == len(instants) and conflicts > 10  # real encounters were checked, not just empty sets
    assert monitor.totals.malformed == 0

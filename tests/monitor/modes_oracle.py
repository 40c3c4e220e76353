"""An independent Mode S / ADS-B oracle for the tests, written from the formulas of ICAO Annex 10
vol. IV and DO-260B (not from the code under test, and not calling pyModeS): the CRC-24 parity,
the airborne-position message layout, CPR encoding, and global (even/odd) and local CPR decoding.
"""

from __future__ import annotations

import math

GENERATOR = 0x1FFF409  # Mode S parity polynomial, 25 bits
CPR_BITS = 1 << 17


def crc24(data: bytes) -> int:
    """The 24-bit remainder of the message bits (without parity) times x^24."""
    value = int.from_bytes(data, "big") << 24
    for bit in range(len(data) * 8 + 23, 23, -1):
        if value >> bit & 1:
            value ^= GENERATOR << (bit - 24)
    return value & 0xFFFFFF


def nl(lat: float) -> int:
    """Number of longitude zones at a latitude (the closed formula)."""
    if abs(lat) >= 87.0:
        return 1 if abs(lat) > 87.0 else 2
    if lat == 0:
        return 59
    a = 1 - math.cos(math.pi / 30)
    b = math.cos(math.pi / 180 * abs(lat)) ** 2
    return int(math.floor(2 * math.pi / math.acos(1 - a / b)))


def cpr_encode(lat: float, lon: float, odd: int) -> tuple[int, int]:
    dlat = 360.0 / (60 - odd)
    yz = math.floor(CPR_BITS * (lat % dlat) / dlat + 0.5)
    rlat = dlat * (yz / CPR_BITS + math.floor(lat / dlat))
    dlon = 360.0 / max(nl(rlat) - odd, 1)
    xz = math.floor(CPR_BITS * (lon % dlon) / dlon + 0.5)
    return yz % CPR_BITS, xz % CPR_BITS


def altitude_field(feet: float) -> int:
    """12-bit altitude with the Q bit set (25 ft steps)."""
    n = int(round((feet + 1000) / 25))
    return ((n >> 4) << 5) | (1 << 4) | (n & 0xF)


def airborne_position_message(icao24: int, lat: float, lon: float, feet: float, odd: int, typecode: int = 11) -> bytes:
    yz, xz = cpr_encode(lat, lon, odd)
    me = (typecode << 51) | (altitude_field(feet) << 36) | (odd << 34) | (yz << 17) | xz
    head = ((17 << 3 | 5) << 80 | icao24 << 56 | me).to_bytes(11, "big")
    return head + crc24(head).to_bytes(3, "big")


def fields_of(message: bytes) -> dict:
    """DF, icao, typecode, odd flag and raw CPR fields of a DF17 airborne-position message."""
    value = int.from_bytes(message, "big")
    me = value >> 24 & ((1 << 56) - 1)
    return {
        "df": value >> 107, "icao": value >> 80 & 0xFFFFFF, "typecode": me >> 51, "odd": me >> 34 & 1,
        "lat": me >> 17 & 0x1FFFF, "lon": me & 0x1FFFF, "parity_ok": crc24(message[:11]) == value & 0xFFFFFF,
    }


def global_decode(even: tuple[int, int], odd: tuple[int, int], newest_odd: bool) -> tuple[float, float] | None:
    lat_e, lon_e = even[0] / CPR_BITS, even[1] / CPR_BITS
    lat_o, lon_o = odd[0] / CPR_BITS, odd[1] / CPR_BITS
    j = math.floor(59 * lat_e - 60 * lat_o + 0.5)
    rlat_e = 6.0 * ((j % 60) + lat_e)
    rlat_o = (360.0 / 59) * ((j % 59) + lat_o)
    rlat_e -= 360.0 if rlat_e >= 270 else 0.0
    rlat_o -= 360.0 if rlat_o >= 270 else 0.0
    if nl(rlat_e) != nl(rlat_o):
        return None
    lat = rlat_o if newest_odd else rlat_e
    zones = nl(lat)
    n = max(zones - (1 if newest_odd else 0), 1)
    m = math.floor(lon_e * (zones - 1) - lon_o * zones + 0.5)
    lon = (360.0 / n) * ((m % n) + (lon_o if newest_odd else lon_e))
    lon -= 360.0 if lon >= 180 else 0.0
    return lat, lon


def local_decode(cpr: tuple[int, int], odd: int, ref_lat: float, ref_lon: float) -> tuple[float, float]:
    dlat = 360.0 / (60 - odd)
    y = cpr[0] / CPR_BITS
    j = math.floor(ref_lat / dlat) + math.floor(0.5 + (ref_lat % dlat) / dlat - y)
    lat = dlat * (j + y)
    dlon = 360.0 / max(nl(lat) - odd, 1)
    x = cpr[1] / CPR_BITS
    m = math.floor(ref_lon / dlon) + math.floor(0.5 + (ref_lon % dlon) / dlon - x)
    lon = dlon * (m + x)
    return lat, (lon + 180.0) % 360.0 - 180.0


def beast_frames(data: bytes) -> list[tuple[int, int, bytes]]:
    """(type, mlat ticks, payload) of each Mode S frame of a Beast byte string (escapes undone)."""
    lengths = {0x31: 2, 0x32: 7, 0x33: 14}
    out, i = [], 0
    while i + 1 < len(data):
        if data[i] != 0x1A or data[i + 1] not in (0x31, 0x32, 0x33):
            i += 1
            continue
        kind, body, j = data[i + 1], bytearray(), i + 2
        while len(body) < 7 + lengths[kind] and j < len(data):
            body.append(data[j])
            j += 2 if data[j] == 0x1A else 1
        out.append((kind, int.from_bytes(body[:6], "big"), bytes(body[7:])))
        i = j
    return out


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))

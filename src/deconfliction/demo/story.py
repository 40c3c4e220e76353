"""A realistic example: aircraft over a wildfire, a sheriff's drones and a news/survey drone provider.

`seed()` files the notices through the same service calls a party would use, including one filing
that is first refused for a missing awareness key, then accepted with it. Times follow the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources

from ..models.agreements import load_toml
from ..errors import MissingKey
from ..geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D
from ..models import NoticePrivate
from ..service import Deconfliction
from ..units import feet_to_metres


def example_agreement_text(name: str = "wildfire") -> str:
    return (resources.files("deconfliction") / "examples" / f"{name}.toml").read_text()


def _band(lower_ft: float, upper_ft: float) -> AltitudeBand:
    return AltitudeBand(lower_m=feet_to_metres(lower_ft), upper_m=feet_to_metres(upper_ft), datum="AMSL")


def _window(now: datetime, start_h: float, end_h: float) -> TimeWindow:
    return TimeWindow(start=now + timedelta(hours=start_h), end=now + timedelta(hours=end_h))


@dataclass
class DemoStory:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)


def seed(system: Deconfliction) -> DemoStory:
    story = DemoStory()
    agreement, parties = load_toml(example_agreement_text())
    system.add_agreement(agreement, parties)
    story.say(f"Agreement '{agreement.id}': {', '.join(agreement.parties)}; minima 1 NM / 500 ft / 10 min.")
    now = system.clock()
    a = agreement.id

    tanker = system.file_notice(
        "calfire", a,
        [Volume4D(
            footprint=Polygon(vertices=((-122.66, 38.78), (-122.55, 38.77), (-122.53, 38.85), (-122.62, 38.88), (-122.68, 38.83))),
            altitude=_band(1500, 5000), time=_window(now, 1, 5),
        )],
        private=NoticePrivate(reference="TANKER-CIRCUIT-1", remarks="Retardant drops on the eastern flank"),
    )
    story.say("calfire files the air-tanker circuit over the fire (1 h ahead).")
    system.file_notice(
        "calfire", a,
        [Volume4D(footprint=Circle(lon=-122.73, lat=38.93, radius_m=1500), altitude=_band(1300, 3000), time=_window(now, 1, 6))],
        private=NoticePrivate(reference="DIP-SITE-CLEARLAKE"),
    )
    story.say("calfire files the helicopter dip site at Clear Lake.")

    mapping = [Volume4D(footprint=Circle(lon=-122.565, lat=38.80, radius_m=800), altitude=_band(1200, 2000), time=_window(now, 1.5, 3))]
    try:
        system.file_notice("sheriff", a, mapping)
    except MissingKey as refused:
        missing = refused.details["missing"]
        story.say(
            f"sheriff files a perimeter-mapping drone with an empty key: refused ({refused.code}), "
            f"{len(missing)} conflicting notice to review first ({missing[0]['id'][:8]}…, by {missing[0]['party_id']})."
        )
        key = [n["version"] for n in missing]
    else:  # pragma: no cover - the story depends on the refusal
        raise AssertionError("the demo expected the awareness check to refuse the first filing")
    sheriff = system.file_notice("sheriff", a, mapping, key=key, private=NoticePrivate(reference="UAS-7"))
    story.say(f"sheriff files again with the key: accepted, {len(sheriff.conflicts)} conflict opened; both sides must acknowledge.")

    news = [Volume4D(footprint=Circle(lon=-122.51, lat=38.86, radius_m=1000), altitude=_band(1800, 2800), time=_window(now, 2, 4))]
    findings = system.check("skyview", a, news)
    skyview = system.file_notice("skyview", a, news, key=[f.notice.version for f in findings])
    story.say(f"skyview checks its news orbit first ({len(findings)} conflict found), then files it with the key.")
    system.file_notice(
        "skyview", a,
        [Volume4D(
            footprint=Polygon(vertices=((-122.40, 38.50), (-122.20, 38.52), (-122.20, 38.53), (-122.40, 38.51))),
            altitude=_band(400, 1200), time=_window(now, 3, 5),
        )],
    )
    story.say("skyview files a survey corridor to the south: no conflict.")
    system.file_notice(
        "sheriff", a,
        [Volume4D(footprint=Circle(lon=-122.45, lat=38.62, radius_m=600), altitude=_band(900, 1500), time=_window(now, 1, 8))],
    )
    story.say("sheriff files an evacuation-route watch: no conflict.")

    for conflict in sheriff.conflicts:
        system.acknowledge_conflict("calfire", conflict.id)
    story.say("calfire acknowledges the conflict with the sheriff's drone.")
    del tanker, skyview
    return story

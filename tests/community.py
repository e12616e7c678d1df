"""A generated community with planted ground truth, written straight into a store as evidence.

Two clusters (Alpha Corp around Maya, Beta Labs around Jonas) that only Bea Broker bridges; Dora
Dormant, a formerly strong tie of Maya's silent for four years who knows a circle nobody else
does; Milo Missed, met by Jonas at a 10-person workshop a month ago and never followed up;
Otto Overdue, whom Maya talked to every two weeks until two months ago; Tara Weak, whom Jonas met
once at a 19-person conference and whom Lukas Link, Jonas's close contact, knows well; Tina
Target, reachable only through Sol Single.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from graphsvc.identity.records import Resolver
from graphsvc.model import Channel, Event, Evidence, EvidenceKind, stable_id
from graphsvc.store.protocol import Store
from importers.records import PersonRef

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
JOB = "job_synthetic"


class Builder:
    def __init__(self, store: Store, workspace_id: str, seed: int) -> None:
        self.store, self.ws, self.rng = store, workspace_id, random.Random(seed)
        self.resolver = Resolver(store, workspace_id)
        self.evidence: list[Evidence] = []
        self.ids: dict[str, str] = {}

    def person(self, name: str, org: str, title: str = "") -> str:
        first, last = name.split(" ", 1)
        pid = self.resolver.resolve(PersonRef(name=name, first_name=first, last_name=last, organization=org, title=title,
                                              emails=(f"{first}.{last}@{org.split()[0]}.example".lower().replace(" ", ""),)))
        self.ids[name] = pid
        return pid

    def add(self, kind: EvidenceKind, channel: Channel, a: str, b: str | None, at: datetime, direction: str = "mutual", event_id: str | None = None) -> None:
        self.evidence.append(Evidence(
            stable_id("ev", self.ws, kind.value, a, b, event_id, at.isoformat(), direction, len(self.evidence)),
            kind, channel, a, b, event_id, at, JOB, direction,
        ))

    def messages(self, a: str, b: str, count: int, start: datetime, end: datetime, both_ways: bool = True) -> None:
        span = (end - start).total_seconds()
        for i in range(count):
            at = start + timedelta(seconds=span * i / max(count - 1, 1))
            forward = not both_ways or i % 2 == 0
            self.add(EvidenceKind.MESSAGE, Channel.EMAIL, a if forward else b, b if forward else a, at, "a->b")

    def event(self, name: str, at: datetime, attendees: list[str], kind: str = "workshop") -> str:
        event_id = stable_id("evt", self.ws, name)
        self.store.add_event(self.ws, Event(event_id, name, at, kind, "synthetic"))
        for person in attendees:
            self.add(EvidenceKind.ATTENDED, Channel.EVENT, person, None, at, event_id=event_id)
        return event_id

    def flush(self) -> None:
        self.store.add_evidence(self.ws, self.evidence)
        self.evidence = []


def build_community(store: Store, workspace_id: str, seed: int = 1) -> dict[str, str]:
    """Write the community; return planted names -> person ids."""
    with store.atomic():
        b = Builder(store, workspace_id, seed)
        rng = b.rng
        maya, jonas = b.person("Maya Lindqvist", "Brightline", "Partner"), b.person("Jonas Abara", "Brightline", "Principal")
        store.add_member(workspace_id, maya)
        store.add_member(workspace_id, jonas)
        recent = AS_OF - timedelta(days=20)
        alpha = [b.person(f"Alpha Person{i:02d}", "Alpha Corp", "Engineer") for i in range(20)]
        beta = [b.person(f"Beta Person{i:02d}", "Beta Labs", "Scientist") for i in range(20)]
        for cluster in (alpha, beta):
            for i, x in enumerate(cluster):
                for y in cluster[i + 1 :]:
                    if rng.random() < 0.35:
                        b.messages(x, y, rng.randint(3, 12), AS_OF - timedelta(days=400), recent)
        for x in alpha[:6]:
            b.messages(maya, x, rng.randint(6, 15), AS_OF - timedelta(days=500), recent)
        for x in beta[:6]:
            b.messages(jonas, x, rng.randint(6, 15), AS_OF - timedelta(days=500), recent)
        b.messages(maya, jonas, 4, AS_OF - timedelta(days=30), recent)
        bea = b.person("Bea Broker", "Freelance", "Advisor")
        for x in alpha[5:11] + beta[5:11]:
            b.messages(bea, x, rng.randint(8, 14), AS_OF - timedelta(days=300), recent)

        # A formerly strong tie, silent for four years, who knows a circle of her own.
        dora = b.person("Dora Dormant", "Gamma Ventures", "Founder")
        gamma = [b.person(f"Gamma Person{i:02d}", "Gamma Ventures", "Analyst") for i in range(4)]
        silent_since = AS_OF - timedelta(days=4 * 365)
        b.messages(maya, dora, 40, silent_since - timedelta(days=3 * 365), silent_since)
        b.add(EvidenceKind.MEETING, Channel.CALENDAR, maya, dora, silent_since - timedelta(days=30))
        for x in gamma:
            b.messages(dora, x, rng.randint(5, 10), AS_OF - timedelta(days=200), recent)
        # A weaker old tie inside the known network (a tempting but less valuable reconnection).
        b.messages(maya, alpha[15], 6, AS_OF - timedelta(days=3 * 365), AS_OF - timedelta(days=2 * 365))

        # Missed follow-up after a small workshop; a followed-up one; a bigger event's missed one.
        milo, fiona = b.person("Milo Missed", "Delta Robotics", "CTO"), b.person("Fiona Followed", "Epsilon", "COO")
        fillers = [b.person(f"Workshop Guest{i}", f"Studio {i}") for i in range(7)]
        workshop_day = AS_OF - timedelta(days=30)
        b.event("Robotics Workshop", workshop_day, [jonas, milo, fiona, *fillers])
        for followed in [fiona, *fillers]:
            b.messages(jonas, followed, 2, workshop_day + timedelta(days=2), workshop_day + timedelta(days=3))
        meetup_guests = [b.person(f"Meetup Guest{i:02d}", f"Firm {i}") for i in range(24)]
        b.event("Founders Meetup", AS_OF - timedelta(days=45), [maya, *meetup_guests], kind="meetup")

        # A rhythm gone quiet: Maya and Otto talked every two weeks for half a year, the last time two months ago.
        otto = b.person("Otto Overdue", "Kappa Partners", "Director")
        b.messages(maya, otto, 13, AS_OF - timedelta(days=60 + 12 * 14), AS_OF - timedelta(days=60))
        # A weak direct tie beside a strong connector: Jonas met Tara Weak once, at a 19-person
        # conference; Lukas Link, whom Jonas talks to all the time, works with her.
        tara = b.person("Tara Weak", "Lambda Labs", "CTO")
        lukas = b.person("Lukas Link", "Lambda Labs", "Head of Sales")
        crowd = [b.person(f"Conference Guest{i:02d}", f"Guest Firm {i}") for i in range(17)]
        b.event("Robotics Conference", AS_OF - timedelta(days=300), [jonas, tara, *crowd], kind="conference")
        b.messages(jonas, lukas, 20, AS_OF - timedelta(days=400), recent)
        b.messages(lukas, tara, 20, AS_OF - timedelta(days=400), recent)

        # A target reachable only through one person.
        sol = b.person("Sol Single", "Omega Inc", "VP Engineering")
        tina = b.person("Tina Target", "Omega Inc", "CEO")
        b.messages(maya, sol, 10, AS_OF - timedelta(days=200), recent)
        b.messages(sol, tina, 10, AS_OF - timedelta(days=200), recent)
        b.flush()
    return {**b.ids, "maya": maya, "jonas": jonas}

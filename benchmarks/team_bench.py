"""Team workspace benchmark: a whole team's exports, imported with the CLI, then asked as a user would.

    python benchmarks/team_bench.py --scale 0.05             # 2 members, 15 events, 3,000 people (≈ 1-2 min)
    python benchmarks/team_bench.py                          # scale 1: 20 members, 300 events, 60,000 people
    python benchmarks/team_bench.py --scale 10               # 200 members, 3,000 events, 600,000 people
    python benchmarks/team_bench.py --skip-import --steps intro,serve   # reuse a generated + imported dir
    python benchmarks/team_bench.py --neo4j                  # also sync into a Neo4j and ask it the intro questions

Everything is seeded (``--seed``) and local (127.0.0.1). Steps (``--steps``, in this order):

``generate``
    Writes the workspace as real export files into ``--out`` (default
    ``benchmarks/out/team-<scale>-<seed>/``, git-ignored). A population of 60,000 x scale people
    with Pareto sociability (weight ~ Pareto(``PARETO_ALPHA``): a few hubs appear in many lists)
    and realistic attributes (name, employer, title, work or personal email, LinkedIn slug, Meetup
    id). 20 x scale members (at least 2), each a LinkedIn data export zip
    (``Basic_LinkedInDataExport_MM-DD-YYYY.zip``: ``Profile.csv`` and ``Email Addresses.csv``,
    which make its owner a workspace member, and ``Connections.csv`` in the 2024+ shape: the
    ``Notes:`` preamble, ``First Name,Last Name,URL,Email Address,Company,Position,Connected On``,
    ``12 Mar 2024`` dates, email mostly empty, a few hidden-profile rows ``,,,,,,07 Jun 2026``)
    of 3,000 x min(1, scale) connections drawn by weight (members know each other more often).
    300 x scale events (at least 3): half with 8-25 attendees, 40 % with 30-150, 10 % with
    300-900, drawn by the same weights; every member attends each event with probability
    ``MEMBER_ATTENDS``. Each is written as an Eventbrite attendee summary, a Luma guest list, a
    Meetup RSVP list (names and Meetup ids only, as Meetup exports), a sign-in sheet with a title
    row, or Google Forms responses (the shapes of tests/fixtures/events and tests/fixtures/signin),
    with a few realistic rows that are not attendances (Eventbrite ``Not Attending``, Luma guests
    not checked in, Meetup ``No`` RSVPs): those must be skipped, never rejected. ``events.csv``
    (``file,name,date,kind``, ``file`` relative to the manifest) names and dates every list.
    ``truth.json`` records what was generated (expected rows and skips, intro targets).
``import``
    Imports every file in a fresh ``GRAPHSVC_DATA_DIR`` (``<out>/data``) with the real CLI. When
    ``graphsvc import --help`` offers ``--events``, in ONE call:
    ``graphsvc import <every zip and list> --events events.csv``; otherwise one
    ``graphsvc import`` per file (``--event-name/--event-date/--event-kind`` from the manifest for
    lists). Reports wall time, rows/s, peak RSS (per process, by ``wait4``), the jobs' rows read /
    imported / rejected / skipped (``graphsvc jobs --json``; any reject or any skip beyond the
    generated ones is listed as unexpected), people after identity resolution and members.
``intro``
    Cold CLI: ``graphsvc intro <email of someone met at an event> -k 3 --as-of AS_OF --json``,
    ``--intro-runs`` times (a different target each run: attendees of an event a member
    attended, not a direct connection of any member), process start to exit; min/median/max and
    each run's peak RSS.
``serve``
    ``graphsvc serve`` (development profile, ``GRAPHSVC_REQUEST_TIMEOUT_SECONDS`` set to
    ``--request-timeout`` so one slow answer is measured rather than cut at 30 s); time from
    process start to ``/healthz`` and to its first ``introPaths`` answer over HTTP. The server
    keeps running for the next two steps; its peak RSS (``VmHWM``) and its children's (the
    analytics processes, ``GRAPHSVC_ANALYTICS_PROCESSES``) are read before it stops.
``load``
    ``--clients`` concurrent clients (asyncio + httpx, one connection each) ask ``--queries``
    ``introPaths(to:, k: 3, asOf:)`` over varied targets: first paced (started on a schedule,
    ``--paced-rate`` per second over all clients: a team asking at its own pace), then back to
    back (each client asks again as soon as it is answered: saturation, where latency is the
    queue); p50/p95/p99, throughput, answer statuses and errors of each, and the CPU time the
    server and its children spent per answer. Then the floor: the same clients back to back
    asking ``{ __typename }``, which does no work.
``structure``
    ``neglectedTies``, ``brokers`` and ``communities`` (first page, ``asOf``), twice each (first
    and repeated call).
``neo4j`` (only with ``--neo4j``)
    Starts a Neo4j 5.26 from the test runtime (or uses ``--bolt-uri``), copies the workspace with
    ``graphsvc neo4j sync``, and asks the intro step's questions with ``GRAPHSVC_STORE`` pointing
    at Neo4j (cold CLI, same measurements), comparing the answers' paths with SQLite's.

Every step has a timeout (``--timeout``, ``--import-timeout``); a step that runs out is
reported as ``> N s`` and the next steps go on where they can. Prints a table and writes
``<out>/team_bench.json`` and ``benchmarks/out/team_bench_<scale>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
CODE = ROOT  # the graphsvc source tree the child processes run (--code)
STEPS = ("generate", "import", "intro", "serve", "load", "structure", "neo4j")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

PARETO_ALPHA = 1.6  # sociability: weight ~ 1 + Pareto(alpha); a few hubs sit in many lists
MEMBER_ATTENDS = 0.06  # each member attends each event with this probability
MEMBER_KNOWS_MEMBER = 0.6  # a member's connections include each other member with this probability
SHOWS_EMAIL = 0.22  # share of people whose email LinkedIn shows their connections
HIDDEN_ROWS = (4, 12)  # hidden-profile rows per Connections.csv (",,,,,,07 Jun 2026")
NOT_ATTENDING = 0.03  # rows of an event list that are not attendances (skipped by the importer)
EXPORT_DAY = date(2026, 10, 20)
AS_OF = "2026-11-01"

LINKEDIN_NOTE = (
    "When exporting your connection data, you may notice that some of the email addresses are missing. "
    "You will only see email addresses for connections who have allowed their connections to see or download "
    "their email address using this setting https://www.linkedin.com/psettings/privacy/email. "
    "You can learn more here https://www.linkedin.com/help/linkedin/answer/261"
)
FIRST = (
    "Aaliyah Aaron Abdul Ada Adam Adebayo Adriana Ahmed Aiko Aisha Alejandro Alex Alice Amara Amir Ana Anders "
    "Andrea Andrei Anh Anna Arjun Astrid Aziz Beatriz Ben Bianca Björn Bruno Camila Carla Carlos Chen Chiara "
    "Chloe Chidi Clara Daniel Daria David Deepa Diego Dmitri Elena Elif Emeka Emma Erik Fatima Felix Femi "
    "Fernando Fiona Francesca Gabriel Grace Hana Hannah Hassan Hiro Ibrahim Ines Ingrid Isaac Ivan Jamal James "
    "Jana Javier Jin Joao John Jonas Jordan Jose Julia Kai Karim Kate Kenji Kira Kofi Lars Laura Lea Leila "
    "Lena Leo Li Lina Lucas Lucia Luis Maja Manuel Maria Marta Mateo Maya Mei Mia Michael Mohammed Nadia "
    "Naomi Nia Nikhil Nina Noah Nora Oliver Olivia Omar Oscar Pablo Paul Pedro Priya Rahul Rania Ravi Rosa "
    "Ruth Sam Samir Sara Sebastian Sofia Sophie Stefan Sven Tara Tariq Theo Tom Tomás Uma Valentina Victor "
    "Wei Yara Yuki Yusuf Zainab Zoe Zoltan"
).split()
LAST = (
    "Adams Ahmed Alvarez Andersen Bauer Becker Bello Berg Brown Campbell Chen Costa Cruz Dang Diaz Dubois "
    "Evans Fischer Fernandes Garcia Gomez Gupta Haddad Hansen Hoffmann Hughes Ibrahim Ito Jansen Jensen Johnson "
    "Kaur Khan Kim Kowalski Kumar Larsen Lee Lopez Martin Meyer Moreau Müller Nakamura Nguyen Novak Nowak "
    "Okafor Oliveira Park Patel Pereira Petrov Quinn Raman Reyes Richter Rossi Ruiz Santos Schmidt Silva "
    "Singh Smith Suzuki Tanaka Taylor Torres Valdez Vogel Wagner Walker Wang Weber Wilson Wong Yamamoto "
    "Yilmaz Zhang"
).split()
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi vo".split()
TITLES = (
    "Software Engineer", "Senior Engineer", "Engineering Manager", "CTO", "Founder", "Co-founder & CEO",
    "Product Manager", "Head of Product", "Designer", "Data Scientist", "Analyst", "Sales Director",
    "Account Executive", "Partner", "Principal", "Investor", "Researcher", "VP Sales", "Head of Partnerships",
    "Marketing Lead", "Recruiter", "Consultant", "Operations Manager", "Student",
)
COMPANY_WORDS = (
    "Northwind Contoso Fabrikam Globex Initech Umbrella Tyrell Wayne Stark Acme Vandelay Hooli Pied Piper Soylent "
    "Cyberdyne Wonka Gringotts Oscorp Aperture Massive Dynamic Blue Sun Monarch Virtucon Dunder Prestige Nakatomi "
    "Sirius Zenith Orbit Lumen Quanta Helix Vertex Nimbus Cobalt Aurora Meridian Atlas Nova Ember Juniper Cedar"
).split()
COMPANY_SUFFIX = ("", "", " Labs", " AI", " Robotics", " Systems", ", Inc.", " GmbH", " Ltd", " Capital", " & Co", " Health")
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "icloud.com", "proton.me", "yahoo.com")
EVENT_WORDS = (
    "Data", "AI", "Founders", "Robotics", "Climate", "Product", "Design", "Python", "Growth", "Security",
    "Fintech", "Health", "Cloud", "Open Source", "Women in Tech", "DevRel", "MLOps", "Web3", "Hardware",
)


# ============================================================================ generation
@dataclass
class Population:
    first: list[str]
    last: list[str]
    company: list[str]
    domain: list[str]
    title: list[str]
    email: list[str]
    slug: list[str]
    meetup: list[int]
    shows_email: np.ndarray
    weight: np.ndarray


@dataclass
class Event:
    index: int
    file: str
    name: str
    day: date
    kind: str
    shape: str
    attendees: list[int]
    extra_rows: int = 0  # rows the importer must skip (not attendances)


@dataclass
class Plan:
    scale: float
    seed: int
    people: int
    members: list[int]
    connections_per_member: int
    events: list[Event] = field(default_factory=list)
    connections: dict[int, list[int]] = field(default_factory=dict)


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def make_population(n: int, rng: random.Random, nrng: np.random.Generator) -> Population:
    made_up = sorted({"".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(2500)})
    lasts_pool = LAST + made_up
    companies = sorted({w + s for w in COMPANY_WORDS for s in COMPANY_SUFFIX})
    rng.shuffle(companies)
    company_weight = 1.0 / np.arange(1, len(companies) + 1) ** 0.9  # Zipf-ish employers
    company_pick = nrng.choice(len(companies), size=n, p=company_weight / company_weight.sum())
    first, last, company, domain, title, email, slug = [], [], [], [], [], [], []
    taken: set[str] = set()
    for i in range(n):
        f = rng.choice(FIRST)
        l = rng.choice(lasts_pool) if rng.random() < 0.93 else f"{rng.choice(LAST)}-{rng.choice(LAST)}"
        c = companies[company_pick[i]]
        d = _ascii(c.split(",")[0].split(" &")[0]).lower().replace(" ", "") + ".example"
        if rng.random() < 0.35:
            d = rng.choice(PERSONAL_DOMAINS)
        base = f"{_ascii(f).lower()}.{_ascii(l).lower().replace(' ', '').replace('-', '')}"
        k, e = 1, f"{base}@{d}"
        while e in taken:
            k += 1
            e = f"{base}{k}@{d}"
        taken.add(e)
        first.append(f)
        last.append(l)
        company.append(c)
        domain.append(d)
        title.append(rng.choice(TITLES))
        email.append(e)
        slug.append(f"{_ascii(f).lower()}-{_ascii(l).lower().replace(' ', '-')}-{rng.getrandbits(24):06x}")
    weight = 1.0 + nrng.pareto(PARETO_ALPHA, size=n)
    return Population(
        first=first, last=last, company=company, domain=domain, title=title, email=email, slug=slug,
        meetup=[10_000_000 + 7919 * i % 89_999_999 for i in range(n)],
        shows_email=nrng.random(n) < SHOWS_EMAIL, weight=weight,
    )


_CDF: dict[int, np.ndarray] = {}
LARGE = 200_000  # populations above this draw small samples by inverse CDF (the keys cost O(population) a draw)


def weighted_sample(nrng: np.random.Generator, weight: np.ndarray, k: int, exclude: set[int] = frozenset()) -> list[int]:
    """k distinct indices drawn with probability proportional to weight, without replacement.

    Efraimidis-Spirakis keys; above ``LARGE`` people and for k < 5 % of them, the same
    distribution (successive sampling) by inverse-CDF draws with repeats and ``exclude`` rejected.
    """
    if len(weight) > LARGE and k < len(weight) // 20:
        cdf = _CDF.get(id(weight))
        if cdf is None:
            cdf = _CDF[id(weight)] = np.cumsum(weight) / weight.sum()
        chosen: dict[int, None] = {}
        while len(chosen) < k:
            for i in np.searchsorted(cdf, nrng.random(2 * (k - len(chosen)) + 8), side="right"):
                i = int(min(i, len(weight) - 1))
                if i not in exclude and i not in chosen:
                    chosen[i] = None
                    if len(chosen) == k:
                        break
        return list(chosen)
    keys = nrng.exponential(size=len(weight)) / weight
    if exclude:
        keys[list(exclude)] = np.inf
    k = min(k, len(weight) - len(exclude))
    chosen = np.argpartition(keys, k - 1)[:k] if k < len(weight) else np.arange(len(weight))
    return [int(i) for i in chosen]


def event_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.5:
        return rng.randint(8, 25)
    if r < 0.9:
        return rng.randint(30, 150)
    return rng.randint(300, 900)


def plan_workspace(scale: float, seed: int) -> tuple[Plan, Population]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    n = max(500, round(60_000 * scale))
    pop = make_population(n, rng, nrng)
    member_count = max(2, round(20 * scale))
    per_member = max(50, round(3_000 * min(1.0, scale)))
    # members: ordinary people (not hubs), each with an email LinkedIn shows
    candidates = [i for i in range(n) if pop.weight[i] < 3.0]
    members = rng.sample(candidates, member_count)
    plan = Plan(scale=scale, seed=seed, people=n, members=members, connections_per_member=per_member)
    member_set = set(members)
    for m in members:
        knows = [o for o in members if o != m and rng.random() < MEMBER_KNOWS_MEMBER]
        drawn = weighted_sample(nrng, pop.weight, per_member - len(knows), exclude=member_set)
        plan.connections[m] = knows + drawn
    event_count = max(3, round(300 * scale))
    used_names: set[str] = set()
    for e in range(event_count):
        size = min(event_size(rng), n // 3)
        if size >= 300:
            kind, shape = "conference", rng.choice(("eventbrite", "eventbrite", "luma"))
        elif size >= 30:
            kind = rng.choice(("meetup", "meetup", "workshop", "meetup"))
            shape = rng.choice(("eventbrite", "luma", "meetup", "signin", "google_forms"))
        else:
            kind = rng.choice(("workshop", "dinner", "meetup", "roundtable"))
            shape = rng.choice(("luma", "meetup", "signin", "google_forms", "eventbrite"))
        topic = rng.choice(EVENT_WORDS)
        label = {"conference": "Summit", "meetup": "Meetup", "workshop": "Workshop", "dinner": "Founders Dinner", "roundtable": "Roundtable"}[kind]
        day = date(2023, 1, 10) + timedelta(days=rng.randrange((date(2026, 10, 25) - date(2023, 1, 10)).days))
        name = f"{topic} {label} {day:%B %Y}"
        while name in used_names:
            name += " II"
        used_names.add(name)
        attending_members = [m for m in members if rng.random() < MEMBER_ATTENDS]
        others = weighted_sample(nrng, pop.weight, max(0, size - len(attending_members)), exclude=member_set)
        attendees = attending_members + others
        rng.shuffle(attendees)
        slug = "".join(ch if ch.isalnum() else "-" for ch in _ascii(name).lower()).strip("-")
        ext = "csv"
        plan.events.append(Event(e, f"events/{e:04d}-{slug}-{shape}.{ext}", name, day, kind, shape, attendees))
    return plan, pop


# -------------------------------------------------------------------------- writing files
def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", delimiter=delimiter).writerows(rows)
    return buf.getvalue()


def _connected_on(rng: random.Random) -> str:
    d = date(2012, 3, 1) + timedelta(days=rng.randrange((EXPORT_DAY - date(2012, 3, 1)).days))
    return d.strftime("%d %b %Y")


def write_member_export(folder: Path, m: int, connections: list[int], pop: Population, rng: random.Random) -> tuple[Path, int, int]:
    """A member's LinkedIn export zip; returns (path, data rows, hidden-profile rows)."""
    rows = [["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]]
    for p in connections:
        rows.append([
            pop.first[p], pop.last[p], f"https://www.linkedin.com/in/{pop.slug[p]}",
            pop.email[p] if pop.shows_email[p] else "", pop.company[p], pop.title[p], _connected_on(rng),
        ])
    hidden = rng.randint(*HIDDEN_ROWS)
    for _ in range(hidden):
        rows.insert(rng.randrange(2, len(rows)), ["", "", "", "", "", "", _connected_on(rng)])
    connections_csv = "Notes:\n" + _csv([[LINKEDIN_NOTE]]) + "\n" + _csv(rows).rstrip("\n")  # 2026: no trailing newline
    profile = _csv([
        ["First Name", "Last Name", "Maiden Name", "Address", "Birth Date", "Headline", "Summary", "Industry",
         "Zip Code", "Geo Location", "Twitter Handles", "Websites", "Instant Messengers"],
        [pop.first[m], pop.last[m], "", "", "", f"{pop.title[m]} at {pop.company[m]}", "", "Technology", "", "London, England, United Kingdom", "", "", ""],
    ])
    emails = _csv([["Email Address", "Confirmed", "Primary", "Updated On"], [pop.email[m], "Yes", "Yes", "1/2/24, 10:15 AM"]])
    path = folder / f"{pop.slug[m]}" / f"Basic_LinkedInDataExport_{EXPORT_DAY:%m-%d-%Y}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Connections.csv", connections_csv)
        zf.writestr("Profile.csv", profile)
        zf.writestr("Email Addresses.csv", emails)
    return path, len(connections) + hidden, hidden


def _time_on(day: date, rng: random.Random, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0) + timedelta(minutes=rng.randrange(0, 75))


def write_event(root: Path, ev: Event, pop: Population, rng: random.Random) -> int:
    """Writes the list; returns its data rows (attendees + rows that are not attendances)."""
    people = ev.attendees
    present = set(people)
    skip = [p for p in weighted_sample(np.random.default_rng(ev.index), pop.weight, max(0, round(len(people) * NOT_ATTENDING)))
            if p not in present] if ev.shape in ("eventbrite", "luma", "meetup") else []
    ev.extra_rows = len(skip)
    order = [(p, True) for p in people] + [(p, False) for p in skip]
    rng.shuffle(order)
    path = root / ev.file
    path.parent.mkdir(parents=True, exist_ok=True)
    if ev.shape == "eventbrite":
        head = ["Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Price Tier", "Ticket Type",
                "Attendee #", "Group", "Order Type", "Currency", "Total Paid", "Fees Paid", "Eventbrite Fees",
                "Eventbrite Payment Processing", "Attendee Status", "Home Address 1", "Home Address 2", "Home City",
                "Home State", "Home Zip", "Home Country", "How did you hear about this event?", "Job Title", "Company"]
        rows = [head]
        for j, (p, attends) in enumerate(order):
            bought = _time_on(ev.day - timedelta(days=rng.randint(1, 40)), rng, hour=rng.randint(8, 22))
            status = ("Checked In" if rng.random() < 0.7 else "Attending") if attends else "Not Attending"
            rows.append([str(11_200_000_000 + ev.index * 10_000 + j), f"{bought:%m/%d/%y %H:%M}", pop.first[p], pop.last[p],
                         pop.email[p], "1", "", "General Admission", str(18_400_000_000 + ev.index * 10_000 + j), "",
                         "Free Order", "USD", "0", "0", "0", "0", status, "", "", "", "", "", "",
                         rng.choice(("Newsletter", "LinkedIn", "Friend, colleague", "")), pop.title[p], pop.company[p]])
        text = _csv(rows)
    elif ev.shape == "luma":
        head = ["api_id", "name", "first_name", "last_name", "email", "phone_number", "created_at", "approval_status",
                "checked_in_at", "custom_source", "qr_code_url", "amount", "amount_tax", "amount_discount", "currency",
                "coupon_code", "eth_address", "solana_address", "survey_response_rating", "survey_response_feedback",
                "ticket_type_id", "ticket_name", "Company", "Job title"]
        rows = [head]
        for j, (p, attends) in enumerate(order):
            gid = f"gst-{rng.getrandbits(40):010x}"
            created = _time_on(ev.day - timedelta(days=rng.randint(1, 30)), rng, hour=rng.randint(8, 22))
            checked = _time_on(ev.day, rng)
            rows.append([gid, f"{pop.first[p]} {pop.last[p]}", pop.first[p], pop.last[p], pop.email[p], "",
                         f"{created:%Y-%m-%dT%H:%M:%S}.000Z", "approved" if attends else rng.choice(("approved", "waitlist")),
                         f"{checked:%Y-%m-%dT%H:%M:%S}.000Z" if attends else "", "", f"https://lu.ma/check-in/evt-{ev.index:05d}?pk={gid}",
                         "", "", "", "", "", "", "", "", "", "evtticktyp-1ab", "Free", pop.company[p], pop.title[p]])
        text = "\ufeff" + _csv(rows)
    elif ev.shape == "meetup":
        group = f"{_ascii(ev.name.split(' Meetup')[0]).lower().replace(' ', '-')}-meetup"
        head = ["Name", "Attendance", "User ID", "Title", "Event Host", "RSVP", "Guests", "RSVPed on", "Joined Group on", "URL of Member Profile", "Notes"]
        rows = [head]
        for p, attends in order:
            rsvp = _time_on(ev.day - timedelta(days=rng.randint(1, 20)), rng).date()
            joined = rsvp - timedelta(days=rng.randint(0, 1500))
            rows.append([f"{pop.first[p]} {pop.last[p]}", "", f"user {pop.meetup[p]}", "", "No", "Yes" if attends else "No",
                         "0", f"{rsvp:%m/%d/%Y}", f"{joined:%m/%d/%Y}", f"https://www.meetup.com/{group}/members/{pop.meetup[p]}/", ""])
        text = _csv(rows)
    elif ev.shape == "signin":
        rows = [[f"{ev.name} – Sign-in sheet", "", "", "", ""], ["", "", "", "", ""],
                ["First Name", "Last Name", "E-mail", "Organisation", "Job Title"]]
        for p, _ in order:
            rows.append([pop.first[p], pop.last[p], pop.email[p] if rng.random() < 0.9 else "", pop.company[p], pop.title[p]])
        text = _csv(rows)
    else:  # google_forms
        rows = [["Timestamp", "Email Address", "Your name", "Organisation", "Job title", "How did you hear about this event?"]]
        for p, _ in order:
            t = _time_on(ev.day, rng, hour=17) + timedelta(seconds=rng.randrange(3600))
            rows.append([f"{t.month}/{t.day}/{t.year} {t.hour}:{t:%M:%S}", pop.email[p], f"{pop.first[p]} {pop.last[p]}",
                         pop.company[p], pop.title[p], rng.choice(("Newsletter", "LinkedIn", "A friend", ""))])
        text = _csv(rows)
    path.write_text(text, encoding="utf-8")
    return len(order)


def emails_in(files: Iterable[Path]) -> set[str]:
    """Every email address written in ``files`` (a sign-in sheet leaves some out)."""
    found: set[str] = set()
    for path in files:
        found.update(EMAIL.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def pick_targets(plan: Plan, pop: Population, count: int, seed: int, written: set[str]) -> list[dict[str, Any]]:
    """People met at an event a member attended, reachable by email (some file gives their
    address: asked by an address no file holds, the answer is NOT_FOUND), and no member's
    direct connection."""
    rng = random.Random(seed + 1)
    members = set(plan.members)
    connected = {p for cs in plan.connections.values() for p in cs}
    seen: set[int] = set()
    found: list[dict[str, Any]] = []
    events = [e for e in plan.events if e.shape != "meetup" and members & set(e.attendees)]
    rng.shuffle(events)
    pools = []
    for ev in events:
        pool = [p for p in ev.attendees if p not in members and p not in connected]
        rng.shuffle(pool)
        pools.append((ev, pool))
    while len(found) < count and any(pool for _, pool in pools):
        for ev, pool in pools:
            while pool:
                p = pool.pop()
                if p not in seen and pop.email[p] in written:
                    seen.add(p)
                    found.append({"person": p, "email": pop.email[p], "name": f"{pop.first[p]} {pop.last[p]}", "event": ev.name})
                    break
            if len(found) >= count:
                break
    return found


def generate(out: Path, scale: float, seed: int, targets: int) -> dict[str, Any]:
    began = time.perf_counter()
    plan, pop = plan_workspace(scale, seed)
    rng = random.Random(seed + 2)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    exports, connection_rows, hidden_rows = [], 0, 0
    for m in plan.members:
        path, rows, hidden = write_member_export(out / "linkedin", m, plan.connections[m], pop, rng)
        exports.append(str(path.relative_to(out)))
        connection_rows += rows
        hidden_rows += hidden
    attendee_rows, skip_rows, shapes = 0, 0, {}
    for ev in plan.events:
        attendee_rows += write_event(out, ev, pop, rng)
        skip_rows += ev.extra_rows
        shapes[ev.shape] = shapes.get(ev.shape, 0) + 1
    with (out / "events.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["file", "name", "date", "kind"])
        for ev in plan.events:
            w.writerow([ev.file, ev.name, ev.day.isoformat(), ev.kind])
    lists = [set(cs) for cs in plan.connections.values()]
    distinct = set().union(*lists) | set(plan.members)
    distinct |= {p for ev in plan.events for p in ev.attendees}
    sizes = [len(ev.attendees) for ev in plan.events]
    truth = {
        "scale": scale, "seed": seed, "population": plan.people, "members": len(plan.members),
        "member_emails": [pop.email[m] for m in plan.members],
        "connections_per_member": plan.connections_per_member, "events": len(plan.events), "event_shapes": shapes,
        "event_sizes": {"min": min(sizes), "median": statistics.median(sizes), "max": max(sizes), "sum": sum(sizes)},
        "co_attendance_pairs": sum(s * (s - 1) // 2 for s in sizes),
        "files": {"linkedin": exports, "events": [ev.file for ev in plan.events], "manifest": "events.csv"},
        "rows": {"connections": connection_rows, "attendee_lists": attendee_rows, "total": connection_rows + attendee_rows},
        "expected_skips": {"hidden_profiles": hidden_rows, "not_attending": skip_rows, "total": hidden_rows + skip_rows},
        "distinct_people_in_files": len(distinct),
        "hub_appearances_top10": [sum(1 for cs in lists if p in cs) for p in np.argsort(-pop.weight)[:10]],
        "targets": pick_targets(plan, pop, targets, seed, emails_in(out / ev.file for ev in plan.events)),
        "seconds": round(time.perf_counter() - began, 1),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    return truth


# ========================================================================= processes
@dataclass
class Run:
    argv: list[str]
    seconds: float
    returncode: int | None  # None: timed out (killed)
    max_rss_mb: float
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_child(argv: list[str], env: dict[str, str], timeout: float, logs: Path, tag: str) -> Run:
    """Runs ``argv`` to completion or ``timeout``; wall time from spawn to exit, peak RSS by wait4."""
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / f"{tag}.out", logs / f"{tag}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=CODE, start_new_session=True)
        result: dict[str, Any] = {}

        def reap() -> None:
            _, status, usage = os.wait4(proc.pid, 0)
            result["end"] = time.perf_counter()
            result["status"] = status
            result["rss"] = usage.ru_maxrss / 1024

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        timed_out = waiter.is_alive()
        if timed_out:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            waiter.join()
        proc.returncode = os.waitstatus_to_exitcode(result["status"])
    return Run(
        argv=argv, seconds=result["end"] - began, returncode=None if timed_out else proc.returncode,
        max_rss_mb=result["rss"], stdout=out_path.read_text(errors="replace"), stderr=err_path.read_text(errors="replace"),
    )


def graphsvc(*args: str) -> list[str]:
    return [PYTHON, "-m", "graphsvc", *args]


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHSVC_")}
    env.update({"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_PROFILE": "development", "PYTHONUNBUFFERED": "1",
                "COLUMNS": "200", "PYTHONPATH": str(CODE)})
    env.update(extra)
    return env


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    q = lambda p: float(np.percentile(v, p))  # noqa: E731
    return {"n": len(v), "min": v[0], "p50": q(50), "p95": q(95), "p99": q(99), "max": v[-1], "mean": statistics.fmean(v)}


# ============================================================================= import
def import_supports_many(env: dict[str, str]) -> bool:
    run = run_child(graphsvc("import", "--help"), env, 60, Path(env["GRAPHSVC_DATA_DIR"]).parent / "logs", "import-help")
    return "--events" in run.stdout


def step_import(out: Path, truth: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir()
    env = base_env(data)
    logs = out / "logs"
    many = import_supports_many(env) and not args.per_file
    files = truth["files"]["linkedin"] + truth["files"]["events"]
    result: dict[str, Any] = {"mode": "one call (--events manifest)" if many else "one call per file", "files": len(files)}
    began = time.perf_counter()
    runs: list[Run] = []
    deadline = began + args.import_timeout
    if many:
        argv = graphsvc("import", *[str(out / f) for f in files], "--events", str(out / "events.csv"))
        runs.append(run_child(argv, env, args.import_timeout, logs, "import"))
    else:
        manifest = {row["file"]: row for row in csv.DictReader((out / "events.csv").open(encoding="utf-8"))}
        for i, f in enumerate(files):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            extra: list[str] = []
            if f in manifest:
                row = manifest[f]
                extra = ["--event-name", row["name"], "--event-date", row["date"], "--event-kind", row["kind"]]
            run = run_child(graphsvc("import", str(out / f), *extra, "--json"), env, left, logs, f"import-{i:04d}")
            runs.append(run)
            if run.returncode != 0:
                print(f"  import of {f} ended with {run.returncode}: {run.stderr[-500:]}", flush=True)
            if i % 25 == 0:
                print(f"  {i + 1}/{len(files)} files, {time.perf_counter() - began:.0f} s", flush=True)
    wall = time.perf_counter() - began
    timed_out = any(r.timed_out for r in runs) or len(runs) < (1 if many else len(files))
    result.update({
        "seconds": wall, "timed_out": timed_out, "processes": len(runs),
        "failed_processes": sum(1 for r in runs if r.returncode not in (0,)),
        "rows": truth["rows"]["total"], "rows_per_s": truth["rows"]["total"] / wall,
        "peak_rss_mb": max(r.max_rss_mb for r in runs),
        "process_seconds": stats([r.seconds for r in runs]) if not many else {},
    })
    if many:
        result["output_tail"] = (runs[0].stdout + runs[0].stderr)[-3000:]
    result.update(import_outcome(data, truth, logs))
    return result


def import_outcome(data: Path, truth: dict[str, Any], logs: Path) -> dict[str, Any]:
    """Jobs, rejects and skips as the CLI lists them; people and members from the store."""
    env = base_env(data)
    jobs_run = run_child(graphsvc("jobs", "--json"), env, 600, logs, "jobs")
    try:
        jobs = json.loads(jobs_run.stdout)
    except ValueError:
        return {"jobs_error": (jobs_run.stdout + jobs_run.stderr)[-2000:]}
    jobs = jobs if isinstance(jobs, list) else jobs.get("jobs", [])
    totals = {k: sum(int(j.get(k) or 0) for j in jobs) for k in ("rowsRead", "rowsImported", "rowsRejected", "rowsSkipped")}
    statuses: dict[str, int] = {}
    for j in jobs:
        statuses[j.get("status", "?")] = statuses.get(j.get("status", "?"), 0) + 1
    rejects: list[dict[str, Any]] = []
    for j in jobs:
        if int(j.get("rowsRejected") or 0) or j.get("error"):
            detail = run_child(graphsvc("job", j["id"], "--json"), env, 300, logs, f"job-{j['id'][:12]}")
            rejects.append({"file": j.get("fileName"), "status": j.get("status"), "error": j.get("error"),
                            "rejected": j.get("rowsRejected"), "detail": detail.stdout[-1500:]})
    counted = count_people(data)
    return {
        "jobs": len(jobs), "job_statuses": statuses, **totals,
        "expected_skips": truth["expected_skips"]["total"],
        "unexpected_skips": totals["rowsSkipped"] - truth["expected_skips"]["total"],
        "unexpected_rejects": totals["rowsRejected"], "reject_details": rejects[:20], **counted,
    }


COUNT_CODE = """
import json, re
from collections import Counter
from graphsvc.service import Graphsvc
s = Graphsvc()
ws = s.workspace()
reasons = Counter()
for job in s.store.list_jobs(ws.id):
    for r in s.store.rejects(job.id):
        reasons[("skipped: " if r.skipped else "rejected: ") + re.sub(r"\\d+", "N", r.reason)[:90]] += 1
print(json.dumps({"records": s.raw_store.count_people(ws.id, None), "people": s.store.count_people(ws.id, None),
                  "members": len(set(s.store.member_ids(ws.id))), "reasons": dict(reasons.most_common(30))}))
"""


def count_people(data: Path) -> dict[str, Any]:
    """Records, people (merged records as one), members and reject/skip reasons, read from the store."""
    run = run_child([PYTHON, "-c", COUNT_CODE], base_env(data), 900, data.parent / "logs", "count-people")
    try:
        return json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"people_error": (run.stdout + run.stderr)[-1500:]}


# ============================================================================== intro
def path_signature(answer: dict[str, Any]) -> list[list[str]]:
    return [[h["from"]["id"] for h in p["hops"]] + [p["hops"][-1]["to"]["id"]] for p in answer.get("paths", []) if p.get("hops")]


def step_intro(out: Path, truth: dict[str, Any], args: argparse.Namespace, env: dict[str, str], tag: str) -> dict[str, Any]:
    runs = []
    for i in range(args.intro_runs):
        target = truth["targets"][i % len(truth["targets"])]
        run = run_child(graphsvc("intro", target["email"], "-k", "3", "--as-of", args.as_of, "--json"), env, args.timeout,
                        out / "logs", f"{tag}-{i}")
        entry: dict[str, Any] = {"target": target["email"], "seconds": run.seconds, "peak_rss_mb": run.max_rss_mb,
                                 "timed_out": run.timed_out, "returncode": run.returncode}
        if run.returncode == 0:
            try:
                answer = json.loads(run.stdout)
                entry.update({"status": answer.get("status"), "paths": len(answer.get("paths", [])), "signature": path_signature(answer)})
            except ValueError:
                entry["error"] = run.stdout[-500:]
        elif not run.timed_out:
            entry["error"] = run.stderr[-800:]
        runs.append(entry)
        print(f"  {tag} {i + 1}/{args.intro_runs}: {fmt_seconds(entry)} {entry.get('status', '')} {run.max_rss_mb:.0f} MiB", flush=True)
        if run.timed_out:
            break  # the next runs would take as long
    done = [r["seconds"] for r in runs if not r["timed_out"]]
    return {"runs": runs, "seconds": stats(done), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "timed_out": any(r["timed_out"] for r in runs), "timeout": args.timeout}


# ============================================================================= server
INTRO_QUERY = (
    "query Intro($to: String!, $asOf: DateTime) { introPaths(to: $to, k: 3, asOf: $asOf) { status targetCount "
    "paths { strength kind hops { from { id name } to { id name } strength level } } } }"
)
NEGLECTED_QUERY = (
    "query($asOf: DateTime) { neglectedTies(first: 20, asOf: $asOf) { totalCount edges { node { kind score strength "
    "reason member { id name } person { id name } } } } }"
)
BROKERS_QUERY = (
    "query($asOf: DateTime) { brokers(first: 20, asOf: $asOf) { totalCount edges { node { betweenness constraint "
    "effectiveSize communitiesBridged person { id name } } } } }"
)
COMMUNITIES_QUERY = (
    "query($asOf: DateTime) { communities(first: 20, asOf: $asOf) { totalCount edges { node { index size "
    "organizations { label count } } } } }"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(c) for c in (task / "children").read_text().split())
    except OSError:
        pass
    return sorted(set(found))


class Server:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log_path.open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(graphsvc("serve", "--host", "127.0.0.1", "--port", str(self.port)), env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=CODE, start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def peak_rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def children_peak_rss_mb(self) -> list[float]:
        """Peak RSS of each child process (the analytics processes ``graphsvc serve`` starts), read
        while they run."""
        peaks = []
        for pid in _children(self.process.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return peaks

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its live children (user + system)."""
        total = 0.0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def post(client: Any, query: str, variables: dict[str, Any], timeout: float) -> tuple[float, int, dict[str, Any] | None, str]:
    began = time.perf_counter()
    try:
        response = client.post("/graphql", json={"query": query, "variables": variables}, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a transport error is a result here
        return time.perf_counter() - began, 0, None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - began
    try:
        body = response.json()
    except ValueError:
        return seconds, response.status_code, None, response.text[:300]
    error = "; ".join(e.get("message", "")[:200] for e in body.get("errors") or [])
    return seconds, response.status_code, body.get("data"), error


def step_serve(server: Server, truth: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    result: dict[str, Any] = {"request_timeout": args.request_timeout}
    deadline = server.started + args.timeout
    with httpx.Client(base_url=server.base) as client:
        while True:
            if not server.alive():
                result["error"] = "the server exited"
                return result
            try:
                if client.get("/healthz", timeout=2).status_code == 200:
                    result["healthz_s"] = time.perf_counter() - server.started
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline:
                result["timed_out"] = True
                return result
            time.sleep(0.05)
        attempts = []
        target = truth["targets"][0]["email"]
        while time.perf_counter() < deadline:
            seconds, status, data, error = post(client, INTRO_QUERY, {"to": target, "asOf": args.as_of}, deadline - time.perf_counter())
            attempts.append({"seconds": seconds, "http": status, "error": error})
            if status == 200 and data and data.get("introPaths"):
                result["first_intro_s"] = time.perf_counter() - server.started
                result["first_intro_request_s"] = seconds
                result["first_intro_status"] = data["introPaths"]["status"]
                break
            time.sleep(0.5)
        result["attempts"] = attempts
        if "first_intro_s" not in result:
            result["timed_out"] = True
    result["rss_after_first_mb"] = server.rss_mb()
    return result


def step_load(server: Server, truth: dict[str, Any], args: argparse.Namespace, rate: float = 0.0, *, floor: bool = False) -> dict[str, Any]:
    """``rate`` 0: every client asks again as soon as it has its answer (saturation: latency is
    then the queue, 50 clients / throughput by Little's law). ``rate`` > 0: the queries are
    started on a schedule, ``rate`` per second over all clients (a team's people asking, each
    at their own pace); latency is then the service time plus whatever queue the load builds.
    ``floor``: the same clients ask ``{ __typename }`` instead, a query that does no work: what
    the machine, the HTTP stack and the clients cost by themselves at this load."""
    import httpx

    targets = [t["email"] for t in truth["targets"]]
    # The floor's answers take well under a millisecond: more of them, so that each client's first
    # request (its connection) is not a twentieth of the sample.
    queries = [targets[i % len(targets)] for i in range(max(args.queries, 2000) if floor else args.queries)]
    schedule: list[float] = []
    samples: list[tuple[float, str]] = []
    statuses: dict[str, int] = {}
    phase_began = [0.0]

    async def client_loop(queue: asyncio.Queue[str], client: Any) -> None:
        async with client:
            while True:
                try:
                    target = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if rate:
                    due = schedule.pop(0) - (time.perf_counter() - phase_began[0])
                    if due > 0:
                        await asyncio.sleep(due)
                began = time.perf_counter()
                error = ""
                try:
                    payload = {"query": "{ __typename }"} if floor else {"query": INTRO_QUERY, "variables": {"to": target, "asOf": args.as_of}}
                    response = await client.post("/graphql", json=payload, timeout=args.request_timeout + 5)
                    body = response.json() if response.status_code == 200 else {}
                    if response.status_code != 200:
                        error = f"HTTP {response.status_code}"
                    elif body.get("errors"):
                        error = body["errors"][0].get("message", "")[:120]
                    elif not floor:
                        status = body["data"]["introPaths"]["status"]
                        statuses[status] = statuses.get(status, 0) + 1
                except Exception as exc:  # noqa: BLE001
                    error = type(exc).__name__
                samples.append((time.perf_counter() - began, error))

    async def run() -> float:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for i, q in enumerate(queries):
            queue.put_nowait(q)
            if rate:
                schedule.append(i / rate)
        # Every client exists before the clock starts: making one costs the benchmark ~20 ms
        # of CPU (httpx loads an SSL context even for http), and 50 of them made on the way
        # would hold up the first second's requests on the clients' own event loop.
        clients = [httpx.AsyncClient(base_url=server.base, limits=httpx.Limits(max_connections=1)) for _ in range(args.clients)]
        began = phase_began[0] = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(client_loop(queue, client) for client in clients)), timeout=args.timeout)
        return time.perf_counter() - began

    try:
        seconds = asyncio.run(run())
        timed_out = False
    except asyncio.TimeoutError:
        seconds, timed_out = float(args.timeout), True
    ok = [s * 1000 for s, e in samples if not e]
    errors: dict[str, int] = {}
    for _, e in samples:
        if e:
            errors[e] = errors.get(e, 0) + 1
    return {"clients": args.clients, "rate": rate, "queries": len(queries), "distinct_targets": len(set(queries)), "answered": len(samples),
            "seconds": seconds, "timed_out": timed_out, "throughput_rps": len(samples) / seconds if seconds else 0,
            "latency_ms": stats(ok), "statuses": statuses, "errors": errors}


def measured_load(server: Server, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``step_load``, with the CPU time the server and its children spent per answer."""
    before = server.cpu_seconds()
    result = step_load(server, *args, **kwargs)
    result["server_cpu_ms_per_answer"] = 1000 * (server.cpu_seconds() - before) / max(1, result["answered"])
    return result


def step_structure(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    result: dict[str, Any] = {}
    with httpx.Client(base_url=server.base) as client:
        for name, query in (("neglectedTies", NEGLECTED_QUERY), ("brokers", BROKERS_QUERY), ("communities", COMMUNITIES_QUERY)):
            calls = []
            for _ in range(2):
                seconds, status, data, error = post(client, query, {"asOf": args.as_of}, args.timeout)
                total = (data or {}).get(name, {}) or {}
                calls.append({"seconds": seconds, "http": status, "error": error, "totalCount": total.get("totalCount"),
                              "timed_out": status == 0 and "Timeout" in error})
                print(f"  {name}: {seconds:.2f} s http {status} {error[:80]}", flush=True)
                if status != 200 or error:
                    break
            result[name] = calls
    return result


# ============================================================================== neo4j
def step_neo4j(out: Path, truth: dict[str, Any], args: argparse.Namespace, sqlite_intro: dict[str, Any] | None) -> dict[str, Any]:
    data = out / "data"
    server = None
    result: dict[str, Any] = {}
    if args.bolt_uri:
        uri, user, password = args.bolt_uri, args.user, args.password
    else:
        sys.path.insert(0, str(ROOT))
        from tests.neo4j_runtime.server import Neo4jServer

        server = Neo4jServer().start()
        uri, user, password = server.bolt_uri, server.user, server.password
        result["neo4j_start_s"] = server.startup_seconds
        print(f"  Neo4j started in {server.startup_seconds:.1f} s at {uri}", flush=True)
    try:
        env = base_env(data, GRAPHSVC_NEO4J_USER=user, GRAPHSVC_NEO4J_PASSWORD=password)
        sync = run_child(graphsvc("neo4j", "sync", "--uri", uri, "--user", user, "--password", password,
                                  "--as-of", args.as_of, "--no-view", "--json"), env, args.import_timeout, out / "logs", "neo4j-sync")
        result["sync"] = {"seconds": sync.seconds, "timed_out": sync.timed_out, "returncode": sync.returncode,
                          "peak_rss_mb": sync.max_rss_mb, "output": (sync.stdout + sync.stderr)[-1500:]}
        print(f"  neo4j sync: {sync.seconds:.1f} s rc {sync.returncode} {sync.max_rss_mb:.0f} MiB", flush=True)
        if sync.returncode == 0:
            neo_env = base_env(data, GRAPHSVC_STORE=uri, GRAPHSVC_NEO4J_USER=user, GRAPHSVC_NEO4J_PASSWORD=password)
            intro = step_intro(out, truth, args, neo_env, "neo4j-intro")
            result["intro"] = intro
            if sqlite_intro:
                same = [a.get("signature") == b.get("signature") for a, b in zip(sqlite_intro["runs"], intro["runs"])
                        if "signature" in a and "signature" in b]
                result["answers_equal_sqlite"] = f"{sum(same)}/{len(same)}"
    finally:
        if server is not None:
            server.stop()
    return result


# ============================================================================= report
def fmt_seconds(entry: dict[str, Any] | None, key: str = "seconds", timeout: float | None = None) -> str:
    if not entry:
        return "–"
    if entry.get("timed_out") and key not in entry:
        return f"> {timeout or entry.get('timeout', '?'):.0f} s" if isinstance(timeout or entry.get("timeout"), (int, float)) else "timed out"
    value = entry.get(key)
    if isinstance(value, dict):
        return f"{value['min']:.2f} / {value['p50']:.2f} / {value['max']:.2f} s" if value else "–"
    return f"{value:.2f} s" if isinstance(value, (int, float)) else "–"


def print_table(report: dict[str, Any]) -> None:
    t = report.get("truth", {})
    s = report.get("steps", {})
    lines = [f"team_bench scale {report['scale']} seed {report['seed']}: {t.get('members')} members, {t.get('events')} events, "
             f"{t.get('population')} people in the population, {t.get('rows', {}).get('total')} rows, "
             f"{t.get('distinct_people_in_files')} distinct people in the files, {t.get('co_attendance_pairs')} co-attendance pairs"]
    rows: list[tuple[str, str]] = []
    imp = s.get("import")
    if imp:
        rows.append((f"import ({imp['mode']}, {imp['processes']} process(es))",
                     (f"> {report['args']['import_timeout']} s (timed out)" if imp["timed_out"] else f"{imp['seconds']:.1f} s")
                     + f", {imp['rows_per_s']:.0f} rows/s, peak RSS {imp['peak_rss_mb']:.0f} MiB"))
        rows.append(("  rows read / imported / rejected / skipped (expected skips)",
                     f"{imp.get('rowsRead')} / {imp.get('rowsImported')} / {imp.get('rowsRejected')} / {imp.get('rowsSkipped')} ({imp.get('expected_skips')})"))
        rows.append(("  records / people after identity resolution / members", f"{imp.get('records')} / {imp.get('people')} / {imp.get('members')}"))
    for key, label in (("intro", "cold CLI intro min / median / max"), ("neo4j_intro", "Neo4j: cold CLI intro min / median / max")):
        intro = s.get(key) if key == "intro" else (s.get("neo4j") or {}).get("intro")
        if intro:
            value = fmt_seconds(intro) if intro["seconds"] else f"> {intro['timeout']:.0f} s"
            if intro["timed_out"] and intro["seconds"]:
                value += f" (a run > {intro['timeout']:.0f} s)"
            rows.append((label, f"{value}, peak RSS {intro['peak_rss_mb']:.0f} MiB, statuses "
                         + ", ".join(str(r.get('status', 'timeout' if r['timed_out'] else 'error')) for r in intro["runs"])))
    neo = s.get("neo4j")
    if neo and "sync" in neo:
        rows.append(("Neo4j: graphsvc neo4j sync", f"{neo['sync']['seconds']:.1f} s rc {neo['sync']['returncode']}, peak RSS {neo['sync']['peak_rss_mb']:.0f} MiB"
                     + (f"; intro answers equal SQLite's: {neo['answers_equal_sqlite']}" if "answers_equal_sqlite" in neo else "")))
    srv = s.get("serve")
    if srv:
        first = f"{srv['first_intro_s']:.2f} s" if "first_intro_s" in srv else f"> {report['args']['timeout']:.0f} s"
        rows.append(("server start -> /healthz; -> first introPaths answer",
                     f"{srv.get('healthz_s', float('nan')):.2f} s; {first} ({len(srv.get('attempts', []))} attempt(s))"))
        children = ", ".join(f"{c:.0f}" for c in srv.get("children_peak_rss_mb", []))
        rows.append(("server peak RSS; its children's (analytics processes)",
                     f"{srv.get('peak_rss_mb', float('nan')):.0f} MiB; {children or 'none'} MiB"))
    for key in ("load", "load_paced", "load_floor"):
        load = s.get(key)
        if not load:
            continue
        lat = load["latency_ms"]
        pace = f", paced at {load['rate']:g} req/s" if load.get("rate") else ", back to back"
        asked = "{ __typename } (no work: the floor)" if key == "load_floor" else "introPaths"
        targets = "" if key == "load_floor" else f" ({load['distinct_targets']} targets)"
        rows.append((f"{asked}, {load['clients']} clients{pace}, {load['queries']} queries{targets}",
                     (f"p50 {lat['p50']:.0f} / p95 {lat['p95']:.0f} / p99 {lat['p99']:.0f} ms, {load['throughput_rps']:.1f} req/s" if lat else "no answer")
                     + (f", server CPU {load['server_cpu_ms_per_answer']:.1f} ms/answer" if "server_cpu_ms_per_answer" in load else "")
                     + (f", errors {load['errors']}" if load["errors"] else "") + (" (timed out)" if load["timed_out"] else "")))
    struct = s.get("structure")
    if struct:
        for name, calls in struct.items():
            if not isinstance(calls, list):
                continue
            rows.append((f"{name} (first, repeated)", ", ".join(
                (f"{c['seconds']:.2f} s" if c["http"] == 200 and not c["error"]
                 else f"> {c['seconds']:.0f} s ({c['error'][:60]})" if c["timed_out"] or "longer than" in c["error"]
                 else f"{c['seconds']:.1f} s: {c['error'][:60] or c['http']}") for c in calls)))
    width = max(len(r[0]) for r in rows) if rows else 0
    print("\n" + lines[0])
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def code_version(code: Path) -> str:
    """The commit of ``code`` (and whether the checkout has changes), or the commit a ``git archive`` export names."""
    git = subprocess.run(["git", "-C", str(code), "rev-parse", "--show-toplevel", "HEAD"], capture_output=True, text=True)
    lines = git.stdout.split()
    if git.returncode == 0 and len(lines) == 2 and Path(lines[0]).resolve() == code:
        dirty = subprocess.run(["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
        return lines[1][:10] + (" + uncommitted changes" if dirty else "")
    stamp = code / "COMMIT"
    return f"export of {stamp.read_text().strip()[:10]}" if stamp.exists() else "unknown (not a git checkout)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="20 x scale members, 300 x scale events, 60,000 x scale people")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, help="default benchmarks/out/team-<scale>-<seed>/")
    parser.add_argument("--steps", default=",".join(s for s in STEPS if s != "neo4j"), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--skip-import", action="store_true", help="reuse the generated and imported files in --out")
    parser.add_argument("--per-file", action="store_true", help="one graphsvc import per file even if the CLI takes many")
    parser.add_argument("--neo4j", action="store_true", help="also run the neo4j step")
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--intro-runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--analytics-processes", type=int, default=None,
                        help="GRAPHSVC_ANALYTICS_PROCESSES for the server (default: the server's own, one per core up to 4; 0: in its own thread)")
    parser.add_argument("--paced-rate", type=float, default=20.0,
                        help="the paced load phase's queries per second over all clients (0: no paced phase)")
    parser.add_argument("--queries", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per step (per intro run, server start, load, each structure query)")
    parser.add_argument("--import-timeout", type=float, default=3600)
    parser.add_argument("--request-timeout", type=float, help="the server's GRAPHSVC_REQUEST_TIMEOUT_SECONDS (default: --timeout)")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the graphsvc source tree the CLI and server run from (default: this checkout); e.g. a "
                             "`git archive <commit>` export, to measure a commit while the checkout is being edited")
    parser.add_argument("--bolt-uri", help="with --neo4j: use this Neo4j instead of starting one")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    args = parser.parse_args(argv)
    args.request_timeout = args.request_timeout or args.timeout
    global CODE
    CODE = args.code.resolve()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if args.neo4j and "neo4j" not in steps:
        steps.append("neo4j")
    if args.skip_import:
        steps = [s for s in steps if s not in ("generate", "import")]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    scale_label = f"{args.scale:g}"
    out = (args.out or HERE / "out" / f"team-{scale_label}-{args.seed}").resolve()
    report: dict[str, Any] = {
        "scale": args.scale, "seed": args.seed, "out": str(out), "steps": {}, "args": vars(args) | {"out": str(out)},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_before": os.getloadavg()},
        "started": datetime.now().isoformat(timespec="seconds"),
        "code": str(CODE), "code_version": code_version(CODE),
    }
    results = report["steps"]
    previous = out / "team_bench.json"
    if previous.exists() and "import" not in steps:  # same data: keep the earlier runs' other steps, marked
        try:
            earlier = json.loads(previous.read_text())
        except ValueError:
            earlier = {}
        for name, value in earlier.get("steps", {}).items():
            if name not in steps and isinstance(value, dict):
                value.setdefault("measured", earlier.get("started"))
                results[name] = value

    def save() -> None:
        report["machine"]["load_average_after"] = os.getloadavg()
        text = json.dumps(report, indent=1, default=str, ensure_ascii=False)
        (out / "team_bench.json").write_text(text)
        (HERE / "out" / f"team_bench_{scale_label}.json").write_text(text)

    if "generate" in steps:
        print(f"generating scale {scale_label} into {out}", flush=True)
        truth = generate(out, args.scale, args.seed, targets=max(args.queries, args.intro_runs, 50))
        print(f"  {truth['rows']['total']} rows, {truth['members']} members, {truth['events']} events {truth['event_shapes']}, "
              f"{truth['distinct_people_in_files']} distinct people, {truth['seconds']} s", flush=True)
    truth = json.loads((out / "truth.json").read_text())
    report["truth"] = {k: v for k, v in truth.items() if k not in ("targets", "files", "member_emails")}
    (HERE / "out").mkdir(exist_ok=True)
    if "import" in steps:
        print("importing", flush=True)
        results["import"] = step_import(out, truth, args)
        imp = results["import"]
        print(f"  {imp['mode']}: {imp['seconds']:.1f} s, {imp['rows_per_s']:.0f} rows/s, peak {imp['peak_rss_mb']:.0f} MiB; "
              f"rejects {imp.get('rowsRejected')}, skips {imp.get('rowsSkipped')} (expected {imp.get('expected_skips')}), "
              f"people {imp.get('people')}, members {imp.get('members')}", flush=True)
        save()
    data = out / "data"
    env = base_env(data)
    if "intro" in steps:
        print("cold CLI intro", flush=True)
        results["intro"] = step_intro(out, truth, args, env, "intro")
        save()
    if {"serve", "load", "structure"} & set(steps):
        print("server", flush=True)
        extra = {} if args.analytics_processes is None else {"GRAPHSVC_ANALYTICS_PROCESSES": str(args.analytics_processes)}
        server = Server(base_env(data, GRAPHSVC_REQUEST_TIMEOUT_SECONDS=str(args.request_timeout), **extra), out / "logs" / "server.log")
        try:
            results["serve"] = serve = step_serve(server, truth, args)
            print(f"  healthz {serve.get('healthz_s', float('nan')):.2f} s, first introPaths {serve.get('first_intro_s', 'none')}", flush=True)
            if "first_intro_s" in serve:
                if "load" in steps:
                    # paced first, so its questions meet the rows as cold as a new server has them
                    if args.paced_rate:
                        print(f"  load: {args.clients} clients paced at {args.paced_rate:g} req/s, {args.queries} queries", flush=True)
                        results["load_paced"] = measured_load(server, truth, args, rate=args.paced_rate)
                        print(f"  {results['load_paced']['latency_ms']}", flush=True)
                    print(f"  load: {args.clients} clients back to back, {args.queries} queries", flush=True)
                    results["load"] = measured_load(server, truth, args)
                    lat = results["load"]["latency_ms"]
                    print(f"  {lat}", flush=True)
                    print(f"  floor: {args.clients} clients back to back asking {{ __typename }}, {args.queries} queries", flush=True)
                    results["load_floor"] = measured_load(server, truth, args, floor=True)
                    print(f"  {results['load_floor']['latency_ms']}", flush=True)
                if "structure" in steps:
                    results["structure"] = step_structure(server, args)
            serve["peak_rss_mb"] = server.peak_rss_mb()
            serve["children_peak_rss_mb"] = server.children_peak_rss_mb()
        finally:
            server.stop()
        save()
    if "neo4j" in steps:
        print("neo4j", flush=True)
        results["neo4j"] = step_neo4j(out, truth, args, results.get("intro"))
    report["finished"] = datetime.now().isoformat(timespec="seconds")
    save()
    print_table(report)
    imp = results.get("import", {})
    return 1 if imp.get("unexpected_rejects") or imp.get("unexpected_skips") else 0


if __name__ == "__main__":
    sys.exit(main())

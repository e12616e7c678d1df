"""``graphsvc demo``: a seeded, realistic small community written as real export files, then imported.

Three teammates' LinkedIn exports (a whole 2026 export as a zip, another as a folder, and an
older 2021-era Connections.csv with no URL column), plus attendee lists of events of very
different sizes in the shapes people really have (a Google Forms CSV, a semicolon-separated
Excel sheet with a title row, a plain sign-in sheet and a large conference list). The planted
target, Elena Petrova (CTO at Northwind Traders), is known to nobody on the team directly.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from graphsvc.service import Graphsvc
from importers import ImportOptions

FIRST = "Ana Ben Chloe Dev Emma Farid Grace Hiro Ines Jamal Kira Luca Mei Nora Omar Priya Quinn Rosa Sam Tariq Uma Viktor Wen Yara Zoe Adele Bruno Carmen Diego Elif Femi Gita Hugo Ivo Jana Kofi Lena Mateo Nia Olek".split()
LAST = "Adams Bauer Costa Diaz Evans Fischer Garcia Haddad Ito Jensen Kim Lopez Moreau Novak Okafor Patel Quint Rossi Silva Tanaka Ueda Varga Weber Xu Yilmaz Zhou Berg Chen Dubois Ekström".split()
COMPANIES = [
    ("Contoso", "contoso.example"), ("Fabrikam", "fabrikam.example"), ("Tailspin Toys", "tailspin.example"),
    ("Northwind Traders, Inc.", "northwind.example"), ("Adatum", "adatum.example"), ("Litware", "litware.example"),
    ("Wingtip", "wingtip.example"), ("Proseware", "proseware.example"), ("Woodgrove Bank", "woodgrove.example"),
    ("Alpine Ski House", "alpine.example"), ("Coho Winery", "coho.example"), ("Fourth Coffee", "fourthcoffee.example"),
]
TITLES = ["Founder", "CEO", "Head of Sales", "Engineer", "Product Manager", "Investor", "Designer", "Data Scientist", "VP Partnerships", "Consultant"]
REFERENCE = datetime(2026, 11, 1)


@dataclass
class DemoPerson:
    first: str
    last: str
    company: str
    domain: str
    title: str
    slug: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@{self.domain}".replace("ö", "o").replace("ü", "u")


TEAM = [
    DemoPerson("Maya", "Lindqvist", "Brightline Ventures", "brightline.example", "Partner", "maya-lindqvist"),
    DemoPerson("Jonas", "Abara", "Brightline Ventures", "brightline.example", "Principal", "jonas-abara-7f3"),
    DemoPerson("Sofia", "Marchetti", "Brightline Ventures", "brightline.example", "Analyst", "sofiamarchetti"),
]
TARGET = DemoPerson("Elena", "Petrova", "Northwind Traders, Inc.", "northwind.example", "CTO", "elena-petrova-cto")


def generate_people(rng: random.Random, count: int = 320) -> list[DemoPerson]:
    people: list[DemoPerson] = []
    seen = {p.name for p in [*TEAM, TARGET]}
    weights = [1 / (rank + 1) for rank in range(len(COMPANIES))]  # Zipf-like company sizes
    while len(people) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if f"{first} {last}" in seen:
            continue
        seen.add(f"{first} {last}")
        company, domain = rng.choices(COMPANIES, weights)[0]
        slug = f"{first}-{last}".lower().replace("ö", "o") + f"-{rng.randrange(16**4):04x}"
        people.append(DemoPerson(first, last, company, domain, rng.choice(TITLES), slug))
    return people


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


PREAMBLE = (
    'Notes:\n"When exporting your connection data, you may notice that some of the email addresses are missing. '
    "You will only see email addresses for connections who have allowed their connections to see or download "
    'their email address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more '
    'here https://www.linkedin.com/help/linkedin/answer/261"\n\n'
)


def connections_csv(rng: random.Random, people: list[DemoPerson], *, era: str, hidden: int = 0) -> str:
    rows: list[list[str]] = []
    for person in people:
        connected = (REFERENCE - timedelta(days=rng.randrange(30, 3000))).strftime("%d %b %Y")
        email = person.email if rng.random() < 0.2 else ""
        if era == "2026":
            rows.append([person.first, person.last, f"https://www.linkedin.com/in/{person.slug}", email, person.company, person.title, connected])
        else:
            rows.append([person.first, person.last, email, person.company, person.title, connected])
    for _ in range(hidden):
        rows.insert(rng.randrange(len(rows) + 1), ["", "", "", "", "", "", (REFERENCE - timedelta(days=rng.randrange(30, 900))).strftime("%d %b %Y")])
    if era == "2026":
        header = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]
        return PREAMBLE + _csv_text([header, *rows]).rstrip("\n")  # 2026 exports have no trailing newline
    header = ["First Name", "Last Name", "Email Address", "Company", "Position", "Connected On"]
    return _csv_text([header, *rows])


def linkedin_export_files(rng: random.Random, owner: DemoPerson, connections: list[DemoPerson], hidden: int) -> dict[str, str]:
    return {
        "Connections.csv": connections_csv(rng, connections, era="2026", hidden=hidden),
        "Profile.csv": _csv_text([
            ["First Name", "Last Name", "Maiden Name", "Address", "Birth Date", "Headline", "Summary", "Industry", "Zip Code", "Geo Location", "Twitter Handles", "Websites", "Instant Messengers"],
            [owner.first, owner.last, "", "", "", f"{owner.title} at {owner.company}", "", "Venture Capital", "", "Berlin", "", "", ""],
        ]),
        "Email Addresses.csv": _csv_text([["Email Address", "Confirmed", "Primary", "Updated On"], [owner.email, "Yes", "Yes", "3/4/21, 10:02 AM"]]),
        "Invitations.csv": _csv_text([["From", "To", "Sent At", "Message", "Direction", "inviterProfileUrl", "inviteeProfileUrl"]]),
    }


def write_demo_files(folder: Path, seed: int) -> list[tuple[Path, ImportOptions]]:
    """Write the community's files under ``folder``; return them with the options to import each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = generate_people(rng)
    maya, jonas, sofia = TEAM
    maya_conns = rng.sample(people, 140)
    jonas_conns = rng.sample(people, 90) + [maya, sofia]
    sofia_conns = rng.sample(people, 60) + [maya]
    files: list[tuple[Path, ImportOptions]] = []

    maya_zip = folder / "Complete_LinkedInDataExport_11-01-2026.zip"
    with zipfile.ZipFile(maya_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in linkedin_export_files(rng, maya, maya_conns, hidden=4).items():
            archive.writestr(name, text)
    files.append((maya_zip, ImportOptions()))

    jonas_dir = folder / "jonas-linkedin-export"
    jonas_dir.mkdir(exist_ok=True)
    for name, text in linkedin_export_files(rng, jonas, jonas_conns, hidden=2).items():
        (jonas_dir / name).write_text(text, encoding="utf-8")
    files.append((jonas_dir, ImportOptions()))

    sofia_file = folder / "sofia-Connections.csv"
    sofia_file.write_bytes(connections_csv(rng, sofia_conns, era="2021").replace("\n", "\r\n").encode("utf-8-sig"))
    files.append((sofia_file, ImportOptions(owner=sofia.email)))

    # Events of very different sizes. The target meets one of Maya's connections at a small
    # workshop and one of Jonas's only at a big conference.
    workshop_friend = next(p for p in maya_conns if p not in jonas_conns)
    summit_friend = next(p for p in jonas_conns if p not in maya_conns and p not in TEAM)
    others = [p for p in people if p not in (workshop_friend, summit_friend)]

    workshop = [workshop_friend, TARGET, *rng.sample(others, 8)]
    rows = [["Timestamp", "Email Address", "Your name", "Company", "Role"]]
    for i, p in enumerate(workshop):
        rows.append([f"3/14/2026 9:{i + 2:02d}:00", p.email, p.name, p.company, p.title])
    path = folder / "Data Strategy Workshop (Responses).csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    files.append((path, ImportOptions(event_name="Data Strategy Workshop", event_kind="workshop")))

    breakfast = [maya, *rng.sample(maya_conns, 6), *rng.sample(others, 5)]
    rows = [["Founders Breakfast — sign-in sheet", "", "", ""], ["First name", "Last name", "E-mail", "Organisation"]]
    rows += [[p.first, p.last, p.email if rng.random() < 0.7 else "", p.company] for p in breakfast]
    path = folder / "founders-breakfast-signin.csv"
    path.write_bytes(_csv_text(rows, delimiter=";").encode("cp1252", errors="replace"))
    files.append((path, ImportOptions(event_name="Founders Breakfast", event_date="2026-05-20", event_kind="breakfast")))

    meetup = [jonas, sofia, *rng.sample(others, 43)]
    rows = [["Name", "Email", "Company", "Job title"]] + [[p.name, p.email, p.company, p.title] for p in meetup]
    path = folder / "climate-tech-meetup-attendees.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    files.append((path, ImportOptions(event_name="Climate Tech Meetup", event_date="2026-06-11", event_kind="meetup")))

    conference = [summit_friend, TARGET, jonas, *rng.sample(others, min(len(others), 280))]
    extra = [DemoPerson(rng.choice(FIRST), rng.choice(LAST) + f"-{i}", "Various", "example.org", "Attendee", f"x-{i}") for i in range(800 - len(conference))]
    rows = [["First Name", "Last Name", "Email", "Company", "Job Title"]]
    rows += [[p.first, p.last, p.email, p.company, p.title] for p in [*conference, *extra]]
    path = folder / "saas-summit-2026-attendees.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    files.append((path, ImportOptions(event_name="SaaS Summit 2026", event_date="2026-04-22", event_kind="conference")))
    return files


def run_demo(seed: int = 7, console: Console | None = None, service: Graphsvc | None = None) -> Graphsvc:
    console = console or Console()
    service = service or Graphsvc()
    folder = service.settings.data_dir / "demo" / f"seed-{seed}"
    files = write_demo_files(folder, seed)
    workspace = service.workspace()
    console.print(f"[bold]graphsvc demo[/] — files in {folder}, store {service.settings.store_url()}")
    for path, options in files:
        prepared = service.prepare_import(workspace.id, path, options=options)
        job = prepared.run()
        state = "already imported, nothing changed" if prepared.already_done else "imported"
        console.print(
            f"  {path.name}: {job.format}, {state} — {job.rows_imported} rows, {job.rows_rejected} rejected, {job.rows_skipped} skipped"
        )
    people_count = service.store.count_people(workspace.id, None)
    console.print(f"  {people_count} people, {service.store.count_evidence(workspace.id)} pieces of evidence\n")
    from graphsvc.cli import print_intro_paths

    print_intro_paths(service.intro_paths(workspace.id, TARGET.name, as_of=datetime.combine(date(2026, 11, 23), datetime.min.time())))
    return service

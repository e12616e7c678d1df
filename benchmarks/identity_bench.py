"""Identity resolution quality: the same ~1,000 people spread over eight sources.

    python benchmarks/identity_bench.py [--people 1000] [--seed 11 | --seeds 11-16]

Generates (from a seed) a population with planted look-alikes (people who share a first and
last name but nothing else) and writes each person into a random subset of eight sources in
their real formats, the way each source tends to show them:

* LinkedIn Connections.csv: formal first name, current company, profile URL, rarely an email;
* Google Contacts CSV: often a nickname, personal or work email, a phone, sometimes an old company;
* vCard 3.0: name, email, phone, company;
* Eventbrite attendee report: the name as typed (case, missing accents), email, company;
* Meetup member list: name (sometimes a nickname), member id, no email;
* a sign-in sheet: first/last name with the odd typo, email, organisation;
* Facebook friends: a name only (nicknames, accents);
* a conference attendee list (a sign-in sheet with one Name column): full names as typed, mostly
  with the middle initial, mostly a work address at the attendee's own employer with the company
  column often empty, and every namesake of an attendee attending too (two of one name in one list).

35 % of people have a middle initial, which sources show now and then ("Kalinda I. Haddad"); half
of the planted look-alikes are told apart by a different middle initial.

Everything is imported into a fresh embedded store through the real importers, then every
mention (one sighting per row) is compared with the truth: pairwise precision and recall over
all pairs of mentions (two mentions are "predicted same" when they end in the same person).
Aim: precision >= 0.995 and recall >= 0.95 on every seed. Results go to benchmarks/out/identity.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Michael": "Mike", "Jennifer": "Jen",
    "Alexander": "Alex", "Daniel": "Dan", "Thomas": "Tom", "Christopher": "Chris", "Margaret": "Maggie", "Joseph": "Joe",
    "Samuel": "Sam", "Benjamin": "Ben", "Jonathan": "Jon", "Matthew": "Matt", "Nicholas": "Nick", "Richard": "Rick",
    "Steven": "Steve", "Victoria": "Vicky", "Andrew": "Andy", "Anthony": "Tony", "James": "Jim", "Rebecca": "Becky",
}
PLAIN_FIRST = (
    "Priya Ana José Jürgen Zoë Łukasz Chidi Mei Yuki Aarav Fatima Olga Sven Ingrid Tomás Noa Kwame Amara Hiro Lucía "
    "Farid Ines Jamal Kira Luca Nora Omar Rosa Tariq Björn Søren Aïcha Dmitri Eun Ravi Sanjay Leila Mateo Camila Oskar "
    "Adaeze Bilal Carmen Dagny Emeka Fiona Gustavo Hana Ilse Jasper Keanu Lars Maren Nikhil Orla Paloma Rahel Signe "
    "Tobias Uma Valentina Wanjiru Ximena Yasmin Zainab Anouk Bastian Cyrus Delphine Elif Florin Greta Hamid Isidora "
    "Joaquín Kofi Linnea Malik Nadia Ottilie Pavel Ronja Selin Thiago Ulla Vera Wiebke Yannick Zeynep Ayumi Benedikt"
).split()
LAST = (
    "Adams Bauer Costa Díaz Evans Fischer García Haddad Ito Jensen Kim López Moreau Novák Okafor Patel Quinn Rossi "
    "Schmidt Tanaka Ueda Vargas Wójcik Xu Yilmaz Zimmermann Andersson Brennan Castillo Dubois Eriksen Fontaine Gallagher "
    "Hoffmann Ibáñez Jovanović Kowalski Lindqvist Mbeki Nakamura O'Brien Petrov Quintero Ramírez Sato Thompson Urquhart "
    "Volkov Whitfield Yamamoto Zhou Abara Banerjee Chaudhry Delgado Ekström Ferreira Grünewald Hashemi Iyer Jaramillo "
    "Kaur Lefèvre Mahlangu Nwosu Oyelaran Pereira Rahman Søndergaard Takahashi Umarov Valdés Weiß Achterberg Bergström "
    "Cárdenas Dvořák Ebersole Fitzgerald Gonçalves Halvorsen Ishikawa Janssen Kovačević Laurent Marchetti Nieminen "
    "Okonkwo Pacheco Rasmussen Schäfer Thorsen Valencia Wagner Yoshida Zapata Abbott Blackwood Crowley Donnelly "
    "Ellsworth Fairbanks Greenberg Holloway Ingram Kensington Langley Montgomery Northcott Oakley Pemberton Radcliffe "
    "Stanhope Thornton Underwood Wainwright Ashdown Bellamy Carrington Davenport Everett Fletcher Goodwin Hartley"
).split()
COMPANIES = [
    ("Acme Robotics, Inc.", "acme-robotics.example"), ("Northwind Traders", "northwind.example"), ("Globex Corporation", "globex.example"),
    ("Initech", "initech.example"), ("Contoso Ltd", "contoso.example"), ("Fabrikam", "fabrikam.example"), ("Umbrella Health", "umbrella.example"),
    ("Hooli", "hooli.example"), ("Stark Industries", "stark.example"), ("Wayne Enterprises", "wayne.example"), ("Tyrell Corp", "tyrell.example"),
    ("Soylent", "soylent.example"), ("Vandelay Industries", "vandelay.example"), ("Pied Piper", "piedpiper.example"), ("Massive Dynamic", "massive.example"),
    ("Cyberdyne Systems", "cyberdyne.example"), ("Oscorp", "oscorp.example"), ("Wonka Industries", "wonka.example"), ("Gringotts", "gringotts.example"),
    ("Dunder Mifflin", "dundermifflin.example"), ("Monarch Solutions", "monarch.example"), ("Blue Sun", "bluesun.example"), ("Aperture Labs", "aperture.example"),
] + [(f"Studio {n}", f"studio{n}.example") for n in range(60)]
OWNER = "Olivia Owner"
#: People whose address book entry still shows a previous employer (a job change the sources disagree on).
OLD_COMPANY_SHARE = 0.08
#: People with a middle initial (shown by some sources only), and the share of the planted namesakes
#: told apart by a different middle initial (besides their addresses and employers).
MIDDLE_SHARE = 0.35
MIDDLE_NAMESAKE_SHARE = 0.5
INITIALS = "ABCDEFGHIJKLMNOPRSTW"
#: Sources whose rows carry a name and nothing another source has (a Meetup member id is Meetup's own).
BARE_NAME_SOURCES = {"facebook", "meetup"}
SOURCES = {"linkedin": 0.7, "contacts": 0.35, "vcard": 0.2, "eventbrite": 0.35, "meetup": 0.3, "signin": 0.3, "facebook": 0.35, "conference": 0.3}


@dataclass
class Human:
    id: int
    first: str
    last: str
    company: tuple[str, str]
    old_company: tuple[str, str] | None
    personal_email: str
    slug: str
    phone: str
    meetup_id: int

    work_email: str = ""
    middle: str = ""  # a middle initial, shown by some sources ("Kalinda I. Haddad")


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("ß", "ss")


def population(rng: random.Random, count: int, lookalike_share: float = 0.02, middle_share: float = MIDDLE_NAMESAKE_SHARE) -> list[Human]:
    firsts = list(NICKNAMES) + PLAIN_FIRST
    people: list[Human] = []
    while len(people) < count:
        i = len(people)
        twin = people[rng.randrange(len(people))] if people and rng.random() < lookalike_share else None
        if twin is not None and rng.random() < middle_share:  # a namesake told apart by the middle initial
            twin.middle = twin.middle or rng.choice(INITIALS)
            middle = rng.choice(INITIALS.replace(twin.middle, ""))
        else:
            middle = rng.choice(INITIALS) if rng.random() < MIDDLE_SHARE else ""
        last = rng.choice(LAST) if rng.random() < 0.7 else f"{rng.choice(LAST)}-{rng.choice(LAST)}"  # double-barrelled
        first, last = (twin.first, twin.last) if twin else (rng.choice(firsts), last)
        handle = f"{_ascii(first).lower()}{rng.randint(1, 9999)}"
        people.append(Human(
            id=i, first=first, last=last, company=rng.choice(COMPANIES),
            old_company=rng.choice(COMPANIES) if rng.random() < OLD_COMPANY_SHARE else None,
            personal_email=f"{handle}@{rng.choice(['gmail.com', 'outlook.com', 'icloud.com', 'proton.me'])}",
            slug=f"{_ascii(first).lower()}-{_ascii(last).lower().replace(' ', '-')}-{i:x}", phone=f"+1 415 555 {1000 + i:04d}"[:15] if i < 9000 else "",
            meetup_id=10_000_000 + i, middle=middle,
        ))
    taken: set[str] = set()
    for h in people:  # personal addresses are unique too
        while h.personal_email in taken:
            h.personal_email = f"{_ascii(h.first).lower()}{rng.randint(1, 99999)}@{h.personal_email.split('@')[1]}"
        taken.add(h.personal_email)
    for h in people:  # like a mail server: a second Jo Kim at the same company gets jo.kim2@
        base = f"{_ascii(h.first).lower()}.{_ascii(h.last).lower().replace(' ', '').replace(chr(39), '')}"
        n, email = 1, f"{base}@{h.company[1]}"
        while email in taken:
            n += 1
            email = f"{base}{n}@{h.company[1]}"
        taken.add(email)
        h.work_email = email
    return people


def _given(rng: random.Random, human: Human, nickname_rate: float) -> str:
    if human.first in NICKNAMES and rng.random() < nickname_rate:
        return NICKNAMES[human.first]
    return human.first


def _with_middle(rng: random.Random, human: Human, given: str, rate: float) -> str:
    """The given name, followed now and then by the middle initial ("Kalinda I.")."""
    return f"{given} {human.middle}." if human.middle and rng.random() < rate else given


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_sources(folder: Path, people: list[Human], rng: random.Random) -> dict[str, tuple[Path, dict[str, str], list[int]]]:
    """Each source's file, import options and, in row order, the true person of each row."""
    members: dict[str, list[Human]] = {name: [h for h in people if rng.random() < share] for name, share in SOURCES.items()}
    files: dict[str, tuple[Path, dict[str, str], list[int]]] = {}

    rows = [["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]]
    for h in members["linkedin"]:
        rows.append([_with_middle(rng, h, h.first, 0.1), h.last, f"https://www.linkedin.com/in/{h.slug}", h.work_email if rng.random() < 0.15 else "", h.company[0], "Engineer", "14 Mar 2024"])
    path = folder / "Connections.csv"
    path.write_text('Notes:\n"When exporting your connection data, you may notice that some of the email addresses are missing."\n\n' + _csv(rows), encoding="utf-8")
    files["linkedin"] = (path, {"owner": OWNER}, [h.id for h in members["linkedin"]])

    rows = [["First Name", "Last Name", "Organization Name", "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value"]]
    for h in members["contacts"]:
        company = (h.old_company or h.company) if rng.random() < 0.7 else ("", "")
        email = h.personal_email if rng.random() < 0.5 else h.work_email
        rows.append([_with_middle(rng, h, _given(rng, h, 0.35), 0.1), h.last, company[0], "* Home", email, "Mobile", h.phone if rng.random() < 0.6 else ""])
    path = folder / "contacts.csv"
    path.write_text("\ufeff" + _csv(rows), encoding="utf-8")
    files["contacts"] = (path, {"owner": OWNER}, [h.id for h in members["contacts"]])

    cards = []
    for h in members["vcard"]:
        given = _given(rng, h, 0.3)
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{given} {h.last}", f"N:{h.last};{given};;;"]
        lines.append(f"EMAIL;TYPE=INTERNET:{h.work_email if rng.random() < 0.5 else h.personal_email}")
        if rng.random() < 0.5:
            lines.append(f"TEL;TYPE=CELL:{h.phone}")
        if rng.random() < 0.6:
            lines.append(f"ORG:{h.company[0].replace(',', chr(92) + ',')}")
        lines.append("END:VCARD")
        cards.append("\r\n".join(lines))
    path = folder / "contacts.vcf"
    path.write_text("\r\n".join(cards) + "\r\n", encoding="utf-8")
    files["vcard"] = (path, {"owner": OWNER}, [h.id for h in members["vcard"]])

    rows = [["Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Ticket Type", "Attendee Status", "Job Title", "Company"]]
    for n, h in enumerate(members["eventbrite"]):
        first, last = _with_middle(rng, h, _given(rng, h, 0.2), 0.2), h.last
        if rng.random() < 0.2:
            first, last = _ascii(first), _ascii(last)
        if rng.random() < 0.1:
            first, last = first.upper(), last.upper()
        email = h.work_email if rng.random() < 0.6 else h.personal_email
        rows.append([str(11211912243 + n), "11/29/24 22:28", first, last, email, "1", "General Admission", "Attending", "Engineer", h.company[0] if rng.random() < 0.6 else ""])
    path = folder / "eventbrite_attendees.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    files["eventbrite"] = (path, {"event_name": "Founders Summit", "event_date": "2024-11-30"}, [h.id for h in members["eventbrite"]])

    rows = [["Name", "Member ID", "Location", "Events attended", "All time 'Yes' RSVPs", "Role", "URL of Member Profile"]]
    for h in members["meetup"]:
        rows.append([f"{_given(rng, h, 0.2)} {h.last}", str(h.meetup_id), "Berlin", "3", "4", "Member", f"https://www.meetup.com/ml-berlin/members/{h.meetup_id}/"])
    path = folder / "meetup_members.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    files["meetup"] = (path, {"event_name": "ML Berlin", "event_date": "2024-06-01"}, [h.id for h in members["meetup"]])

    rows = [["First Name", "Last Name", "E-mail", "Organisation"]]
    for h in members["signin"]:
        first, last = _with_middle(rng, h, _given(rng, h, 0.25), 0.15), h.last
        if rng.random() < 0.05:
            last = _typo(rng, last)
        email = (h.work_email if rng.random() < 0.5 else h.personal_email) if rng.random() < 0.7 else ""
        rows.append([first, last, email, h.company[0] if rng.random() < 0.7 else ""])
    path = folder / "workshop_signin.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    files["signin"] = (path, {"event_name": "Robotics Workshop", "event_date": "2024-09-12"}, [h.id for h in members["signin"]])

    # A conference's attendee list: full names as typed, mostly with the middle initial; every
    # namesake of an attendee attends too (two of one name in one list); mostly work addresses at
    # the attendee's own employer, the company column often left empty.
    chosen = {(h.first, h.last) for h in members["conference"]}
    members["conference"] = [h for h in people if (h.first, h.last) in chosen]
    rows = [["Name", "Email", "Company"]]
    for h in members["conference"]:
        email = h.work_email if rng.random() < 0.8 else h.personal_email
        rows.append([f"{_with_middle(rng, h, _given(rng, h, 0.2), 0.7)} {h.last}", email, h.company[0] if rng.random() < 0.5 else ""])
    path = folder / "conference_attendees.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    files["conference"] = (path, {"event_name": "DataConf", "event_date": "2024-10-03"}, [h.id for h in members["conference"]])

    friends = [{"name": f"{_given(rng, h, 0.25)} {h.last}", "timestamp": 1_700_000_000 + h.id} for h in members["facebook"]]
    path = folder / "your_friends.json"
    path.write_text(json.dumps({"friends_v2": friends}), encoding="utf-8")
    files["facebook"] = (path, {"owner": OWNER}, [h.id for h in members["facebook"]])
    return files


def pairs(groups: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


def evaluate(people: int, seed: int, lookalikes: float = 0.02) -> dict[str, object]:
    from graphsvc.service import Graphsvc
    from graphsvc.settings import Settings
    from importers import ImportOptions

    rng = random.Random(seed)
    humans = population(rng, people, lookalikes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_sources(folder, humans, rng)
        service = Graphsvc(Settings(data_dir=folder / "data", store=""))
        try:
            ws = service.workspace().id
            started = time.perf_counter()
            truth_of: dict[tuple[str, int], int] = {}
            source_of: dict[tuple[str, int], str] = {}
            for name, (path, options, truth) in files.items():
                fmt = {"contacts": "google_contacts", "signin": "signin_sheet", "conference": "signin_sheet"}.get(name, name)
                job = service.import_file(ws, path, format=fmt, options=ImportOptions(**options))
                if job.rows_imported != len(truth):
                    raise SystemExit(f"{name}: {job.rows_imported} of {len(truth)} rows imported: {service.rejects(ws, job.id)[:3]}")
                rows = sorted({row for job_id, row, _ in _raw_sightings(service, ws) if job_id == job.id} - {0})
                if len(rows) != len(truth):
                    raise SystemExit(f"{name}: {len(rows)} sighted rows for {len(truth)} rows")
                truth_of.update({(job.id, row): human for row, human in zip(rows, truth)})
                source_of.update({(job.id, row): name for row in rows})
            seconds = time.perf_counter() - started
            clusters = service.store.clusters(ws)  # type: ignore[attr-defined]
            predicted: dict[tuple[str, int], str] = {}
            for job_id, row, record in _raw_sightings(service, ws):
                if (job_id, row) in truth_of:
                    predicted[(job_id, row)] = clusters.canonical(record)
            mentions = sorted(truth_of)
            both = Counter((predicted[m], truth_of[m]) for m in mentions)
            tp, predicted_pairs = pairs(both), pairs(Counter(predicted[m] for m in mentions))
            true_pairs = pairs(Counter(truth_of[m] for m in mentions))
            candidates = service.duplicates(ws)
            truth_by_person: dict[str, set[int]] = {}
            for m in mentions:
                truth_by_person.setdefault(predicted[m], set()).add(truth_of[m])
            right = sum(1 for c in candidates if truth_by_person.get(c.a, set()) & truth_by_person.get(c.b, set()))
            lookalikes = sum(n - 1 for n in Counter((h.first, h.last) for h in humans).values() if n > 1)
            # A Facebook friend or a Meetup member is a bare name: when two people of the workspace bear it,
            # nothing in the files says which one it is, and no resolver can place it (it stays a possible
            # duplicate). The recall ceiling is the recall of an oracle that places every other mention.
            shared_names = {name for name, n in Counter((h.first, h.last) for h in humans).items() if n > 1}
            bare_jobs = {job_id for (job_id, _row), source in source_of.items() if source in BARE_NAME_SOURCES}
            placeable = [m for m in mentions if not (m[0] in bare_jobs and (humans[truth_of[m]].first, humans[truth_of[m]].last) in shared_names)]
            ceiling = pairs(Counter(truth_of[m] for m in placeable)) / true_pairs if true_pairs else 1.0
            return {
                "people": people, "seed": seed, "planted_lookalike_share": lookalikes, "mentions": len(mentions), "sources": {k: len(v[2]) for k, v in files.items()},
                "lookalike_people": lookalikes, "true_pairs": true_pairs, "predicted_pairs": predicted_pairs, "true_positive_pairs": tp,
                "precision": tp / predicted_pairs if predicted_pairs else 1.0, "recall": tp / true_pairs if true_pairs else 1.0,
                "recall_ceiling": ceiling,
                "people_found": len(set(predicted.values())), "people_true": len({truth_of[m] for m in mentions}),
                "automatic_merges": len(service.raw_store.merge_map(ws)),
                "duplicate_candidates": len(candidates), "candidates_truly_same": right, "import_seconds": round(seconds, 2),
            }
        finally:
            service.close()


def _raw_sightings(service, ws: str) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    """(job, row, record) of every sighting: provenance read directly, all at once rather than person by person."""
    db = service.raw_store._db
    return [(r[0], r[1], r[2]) for r in db.execute("SELECT job_id, row, person_id FROM sightings WHERE workspace_id = ?", (ws,))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--seeds", default="", help="Several seeds, e.g. 11-16 or 11,13 (a table, one row each).")
    parser.add_argument("--lookalikes", type=float, default=0.02, help="Share of people planted as a namesake of another (default 0.02).")
    args = parser.parse_args()
    if args.seeds:
        seeds = [s for part in args.seeds.split(",") for s in (
            range(int(part.split("-")[0]), int(part.split("-")[1]) + 1) if "-" in part else [int(part)])]
        results = [evaluate(args.people, seed, args.lookalikes) for seed in seeds]
        out = Path(__file__).parent / "out"
        out.mkdir(exist_ok=True)
        (out / "identity.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        print("seed  precision  recall  ceiling  people found/true")
        for r in results:
            print(f"{r['seed']:>4}  {r['precision']:.4f}     {r['recall']:.4f}  {r['recall_ceiling']:.4f}   {r['people_found']}/{r['people_true']}")
        return
    result = evaluate(args.people, args.seed, args.lookalikes)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "identity.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    for key, value in result.items():
        print(f"{key:>24}: {value:.4f}" if isinstance(value, float) else f"{key:>24}: {value}")


if __name__ == "__main__":
    main()

"""Namesakes stay apart (issue 15 item 2): conflicting middle names or initials, and two rows of
one attendee list or address book with different addresses, are two people."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from pathlib import Path

from graphsvc.identity.matching import NameParts, Profile, middle_names_conflict, name_parts, score
from graphsvc.service import Graphsvc
from importers import ImportOptions

GIVEN = (
    "Kalinda Piotr Amara Bastian Chidi Delphine Emeka Fiona Gustavo Hana Ilse Jasper Keanu Lars Maren Nikhil Orla "
    "Paloma Rahel Signe Tobias Uma Valentina Wanjiru Ximena Yasmin Zainab Anouk Cyrus Elif Florin Greta Hamid"
).split()
FAMILY = (
    "Haddad Brennan Okafor Lindqvist Moreau Novák Rasmussen Takahashi Valdés Whitfield Achterberg Bergström Cárdenas "
    "Dvořák Ebersole Fitzgerald Gonçalves Halvorsen Ishikawa Janssen Laurent Marchetti Nieminen Pacheco Thorsen"
).split()
EMPLOYERS = ["Acme Robotics", "Globex", "Initech", "Northwind", "Umbrella Health", "Hooli", "Stark Industries", "Soylent"]
INITIALS = "ABCDEFGHIJKLMNOPRSTW"


def _conference(rng: random.Random, size: int = 800) -> tuple[str, list[tuple[str, str, str]]]:
    """``size`` distinct attendees: a third of them in namesake pairs told apart by the middle
    initial (different addresses, often different employers), some pairs of one name with no
    initial at all, everyone with their own address (a work address at their employer or a personal one)."""
    people: list[tuple[str, str, str]] = []  # (name, email, company)
    names = [(g, f) for g in GIVEN for f in FAMILY]
    rng.shuffle(names)
    taken: set[str] = set()

    def email(given: str, family: str, company: str) -> str:
        n, local = 1, f"{given}.{family}".lower().replace("á", "a").replace("é", "e").replace("ř", "r").replace("ç", "c").replace("ö", "o").replace("ä", "a")
        domain = company.split()[0].lower() + ".example" if rng.random() < 0.7 else rng.choice(["gmail.com", "outlook.com", "proton.me"])
        address = f"{local}@{domain}"
        while address in taken:
            n += 1
            address = f"{local}{n}@{domain}"
        taken.add(address)
        return address

    while len(people) < size:
        given, family = names.pop()
        kind = rng.random()
        if kind < 0.18 and len(people) + 2 <= size:  # a namesake pair with different middle initials
            first, second = rng.sample(INITIALS, 2)
            for initial in (first, second):
                company = rng.choice(EMPLOYERS)
                people.append((f"{given} {initial}. {family}", email(given, family, company), company if rng.random() < 0.6 else ""))
        elif kind < 0.25 and len(people) + 2 <= size:  # two of one name, no initials: only the addresses differ
            for _ in range(2):
                company = rng.choice(EMPLOYERS)
                people.append((f"{given} {family}", email(given, family, company), company if rng.random() < 0.6 else ""))
        else:
            company = rng.choice(EMPLOYERS)
            people.append((f"{given} {family}", email(given, family, company), company if rng.random() < 0.6 else ""))
    rng.shuffle(people)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Name", "Email", "Company"])
    writer.writerows(people)
    return out.getvalue(), people


def _without_initial(name: str) -> str:
    return " ".join(word for word in name.split() if not word.endswith("."))


def test_an_800_row_list_of_distinct_attendees_with_namesakes_imports_as_800_people(service: Graphsvc, tmp_path: Path) -> None:
    text, rows = _conference(random.Random(15))
    assert len(rows) == 800 and len({email for _, email, _ in rows}) == 800
    shared = [name for name, n in Counter(_without_initial(name) for name, _, _ in rows).items() if n > 1]
    assert len(shared) > 100  # plenty of namesakes: "Kalinda I. Haddad" and "Kalinda H. Haddad", or two "Piotr Brennan"s
    path = tmp_path / "conference.csv"
    path.write_text(text, encoding="utf-8")
    ws = service.workspace().id
    job = service.import_file(ws, path, format="signin_sheet", options=ImportOptions(event_name="DataConf", event_date="2024-10-03"))
    assert job.rows_imported == 800
    assert service.store.count_people(ws, None) == 800
    assert not service.raw_store.merge_map(ws)
    # importing it again changes nothing
    service.import_file(ws, path, format="signin_sheet", options=ImportOptions(event_name="DataConf", event_date="2024-10-03"))
    assert service.store.count_people(ws, None) == 800


CONFERENCE = """Name,Email,Company
Kalinda I. Haddad,kalinda.haddad@acme.example,Acme Robotics
Kalinda H. Haddad,khaddad@gmail.com,Globex
Piotr Y. Brennan,piotr@initech.example,
Piotr J. Brennan,piotr.brennan@initech.example,
Amara Okafor,amara.okafor@hooli.example,
Amara Okafor,amara1987@gmail.com,
"""
CONNECTIONS = """First Name,Last Name,URL,Email Address,Company,Position,Connected On
Kalinda,Haddad,https://www.linkedin.com/in/kalinda-haddad,,Acme Robotics,CTO,14 Mar 2024
Amara,Okafor,https://www.linkedin.com/in/amara-okafor,,Hooli,Engineer,14 Mar 2024
Piotr,Brennan,https://www.linkedin.com/in/piotr-brennan,,Initech,Engineer,14 Mar 2024
"""


def test_namesakes_of_one_list_stay_apart_and_linkedin_joins_the_one_at_its_employer(service: Graphsvc, tmp_path: Path) -> None:
    ws = service.workspace().id
    (tmp_path / "conference.csv").write_text(CONFERENCE, encoding="utf-8")
    (tmp_path / "Connections.csv").write_text(CONNECTIONS, encoding="utf-8")
    service.import_file(ws, tmp_path / "conference.csv", format="signin_sheet", options=ImportOptions(event_name="DataConf", event_date="2024-10-03"))
    assert service.store.count_people(ws, None) == 6
    service.import_file(ws, tmp_path / "Connections.csv", format="linkedin", options=ImportOptions(owner="Olivia Owner"))
    people = {tuple(sorted(p.emails)): p for p in service.store.search_people(ws, None, 100)}
    # Kalinda Haddad at Acme is Kalinda I. (at Acme), not also Kalinda H. (at Globex)
    assert people[("kalinda.haddad@acme.example",)].linkedin_url.endswith("kalinda-haddad")
    assert not people[("khaddad@gmail.com",)].linkedin_url
    # a work address at Hooli with no company given: the LinkedIn Amara Okafor at Hooli
    assert people[("amara.okafor@hooli.example",)].linkedin_url.endswith("amara-okafor")
    assert not people[("amara1987@gmail.com",)].linkedin_url
    # two Piotr Brennans at Initech: the LinkedIn one may be either, so a human decides
    assert not people[("piotr@initech.example",)].linkedin_url and not people[("piotr.brennan@initech.example",)].linkedin_url
    assert service.store.count_people(ws, None) == 8  # 6 attendees + the owner + the LinkedIn Piotr Brennan


def test_conflicting_middle_names_count_against_a_match() -> None:
    assert name_parts("", "", "Kalinda I. Haddad") == NameParts("kalinda", "haddad", ("i",))
    assert name_parts("Kalinda I.", "Haddad", "") == NameParts("kalinda", "haddad", ("i",))
    assert name_parts("Jonathan (Jon)", "Meyer", "") == NameParts("jonathan", "meyer")  # a nickname is no middle name
    assert name_parts("", "", 'Robert "Bob" Chen') == NameParts("robert", "chen")
    assert middle_names_conflict(("i",), ("h",))
    assert not middle_names_conflict(("m",), ("maria",)) and not middle_names_conflict((), ("i",))
    i, h, bare = NameParts("kalinda", "haddad", ("i",)), NameParts("kalinda", "haddad", ("h",)), NameParts("kalinda", "haddad")
    assert score(Profile("1", {bare}, {"acme"}), Profile("2", {i}, {"acme"})).auto_merge  # no initial on one side: no conflict
    found = score(Profile("1", {h}, {"acme"}), Profile("2", {i}, {"acme"}))
    assert not found.auto_merge and "different middle names (h and i)" in found.reasons
    # nor once Kalinda I. is known by her bare name too
    assert not score(Profile("1", {h}, {"acme"}), Profile("2", {i, bare}, {"acme"})).auto_merge
    # Jon and Jonathan: a nickname, no middle names
    assert score(Profile("1", {NameParts("jon", "meyer")}, {"acme"}), Profile("2", {NameParts("jonathan", "meyer")}, {"acme"})).auto_merge


def test_the_same_middle_initial_counts_for_a_match() -> None:
    a, also_a, h = NameParts("jonathan", "janssen", ("a",)), NameParts("jonathan", "janssen", ("a",)), NameParts("jonathan", "janssen", ("h",))
    bare = NameParts("jonathan", "janssen")
    found = score(Profile("1", {a}), Profile("2", {also_a}), namesakes=1)
    assert found.points == 4.0 and found.auto_merge and "same middle name or initial (a)" in found.reasons
    assert score(Profile("1", {a}), Profile("2", {bare}), namesakes=1).points == 3.0  # none on one side: no evidence either way
    assert score(Profile("1", {NameParts("ana", "ruiz", ("m",))}), Profile("2", {NameParts("ana", "ruiz", ("maria",))})).points == 5.0
    assert not score(Profile("1", {a}), Profile("2", {h})).auto_merge  # and a different one still counts against


def test_an_address_books_organization_may_be_a_former_employer() -> None:
    """An address book entry is seldom updated: its organization differing from where another
    source says someone works now counts less (-1.0, not -2.0), unless a work address of the entry
    is at that organization (then it was current) or some other kind of source named it too."""
    name = {NameParts("luca", "underwood")}
    linkedin = Profile("1", name, {"hooli"}, organization_sources={"hooli": frozenset({"linkedin"})})
    book = Profile("2", name, {"monarch solutions"}, {"luca9046@outlook.com"}, organization_sources={"monarch solutions": frozenset({"google_contacts"})})
    found = score(linkedin, book)
    assert found.points == 3.0 and "different organizations, one from an address book" in found.reasons
    unread = Profile("2", name, {"monarch solutions"}, {"luca9046@outlook.com"})  # sources not read: the full penalty
    assert score(linkedin, unread).points == 2.0 and "different organizations" in score(linkedin, unread).reasons
    at_work = Profile("2", name, {"monarch solutions"}, {"luca.underwood@monarch.example"},
                      organization_sources={"monarch solutions": frozenset({"vcard"})})
    assert "different organizations" in score(linkedin, at_work).reasons
    listed = Profile("2", name, {"monarch solutions"}, organization_sources={"monarch solutions": frozenset({"vcard", "signin_sheet"})})
    assert "different organizations" in score(linkedin, listed).reasons


def _people_by_email(service: Graphsvc, ws: str) -> dict[str, set[str]]:
    """Each address's person: the set of addresses of that person (as merged)."""
    found: dict[str, set[str]] = {}
    for person in service.store.search_people(ws, None, 100):
        for email in person.emails:
            found[email] = set(person.emails)
    return found


def test_an_address_book_entry_with_the_same_middle_initial_survives_a_stale_employer(service: Graphsvc, tmp_path: Path) -> None:
    ws = service.workspace().id
    (tmp_path / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Delphine S.,Eriksen,https://www.linkedin.com/in/delphine-eriksen,delphine.eriksen@studio32.example,Studio 32,CTO,14 Mar 2024\n"
        "Luca,Underwood,https://www.linkedin.com/in/luca-underwood,luca.underwood@hooli.example,Hooli,Engineer,14 Mar 2024\n",
        encoding="utf-8",
    )
    (tmp_path / "contacts.csv").write_text(
        "First Name,Last Name,Organization Name,E-mail 1 - Label,E-mail 1 - Value\n"
        "Delphine S.,Eriksen,Studio 31,* Home,delphine4782@outlook.com\n"  # her former employer, the same middle initial
        "Luca,Underwood,Monarch Solutions,* Home,luca9046@outlook.com\n",  # a former employer, and nothing more to go on
        encoding="utf-8",
    )
    service.import_file(ws, tmp_path / "Connections.csv", format="linkedin", options=ImportOptions(owner="Olivia Owner"))
    service.import_file(ws, tmp_path / "contacts.csv", format="google_contacts", options=ImportOptions(owner="Olivia Owner"))
    people = _people_by_email(service, ws)
    assert people["delphine4782@outlook.com"] == {"delphine4782@outlook.com", "delphine.eriksen@studio32.example"}
    assert people["luca9046@outlook.com"] == {"luca9046@outlook.com"}  # 3.0: a possible duplicate, for a human
    (pair,) = [c for c in service.duplicates(ws) if "different organizations, one from an address book" in c.reasons]
    assert pair.points == 3.0


def test_an_entry_a_namesake_sets_free_joins_the_one_of_its_middle_initial(service: Graphsvc, tmp_path: Path) -> None:
    """An address book's "Jonathan A. Janssen" first joins the only Jonathan Janssen known; when a
    Jonathan A. Janssen at another employer arrives (a namesake of the first), the entry is set free
    and compared again: it joins the one with its middle initial."""
    ws = service.workspace().id
    (tmp_path / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Jonathan,Janssen,https://www.linkedin.com/in/jonathan-janssen,,Studio 25,Engineer,14 Mar 2024\n",
        encoding="utf-8",
    )
    (tmp_path / "contacts.csv").write_text(
        "First Name,Last Name,Organization Name,E-mail 1 - Label,E-mail 1 - Value\nJonathan A.,Janssen,,* Home,jonathan2623@proton.me\n",
        encoding="utf-8",
    )
    (tmp_path / "conference.csv").write_text(
        "Name,Email,Company\nJonathan A. Janssen,jonathan.janssen@tyrell.example,Tyrell Corp\n"
        "Jonathan Janssen,jonathan.janssen@studio25.example,Studio 25\n",
        encoding="utf-8",
    )
    service.import_file(ws, tmp_path / "Connections.csv", format="linkedin", options=ImportOptions(owner="Olivia Owner"))
    service.import_file(ws, tmp_path / "contacts.csv", format="google_contacts", options=ImportOptions(owner="Olivia Owner"))
    assert service.store.count_people(ws, None) == 2  # the owner, and one Jonathan Janssen
    service.import_file(ws, tmp_path / "conference.csv", format="signin_sheet", options=ImportOptions(event_name="DataConf", event_date="2024-10-03"))
    people = _people_by_email(service, ws)
    assert people["jonathan2623@proton.me"] == {"jonathan2623@proton.me", "jonathan.janssen@tyrell.example"}
    assert people["jonathan.janssen@studio25.example"] == {"jonathan.janssen@studio25.example"}

"""Address books (export-formats.md §5): Google Contacts CSV (current, legacy UTF-16, Outlook) and
vCard (2.1, 3.0, 4.0), from tests/fixtures/contacts/.

Every contact is a ``contact`` link from the owner (``--owner``, required) to the person.
CSV rows are physical lines; a vCard's row is the line its ``BEGIN:VCARD`` is on.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Link, ParsedRow, Source
from importers.vcard import RawCard, card_result

FIXTURES = Path(__file__).parent / "fixtures"
CONTACTS = FIXTURES / "contacts"
CURRENT = CONTACTS / "google_contacts_current.csv"
LEGACY = CONTACTS / "google_contacts_legacy_utf16.csv"
OUTLOOK = CONTACTS / "outlook_contacts.csv"
V21 = CONTACTS / "contacts_v21_android.vcf"
V3 = CONTACTS / "contacts_v3_google.vcf"
V4 = CONTACTS / "contacts_v4.vcf"
OWNER = "Olivia Okafor"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**{"owner": OWNER, **options}))


def _names(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


def _people(path: Path) -> dict[int, object]:
    """Row -> the contact's PersonRef, or the Rejected/Skipped result."""
    fmt = importers.detect(Source.from_path(path)).name
    parsed = importers.get(fmt).parse(Source.from_path(path), ImportOptions(owner=OWNER))
    found: dict[int, object] = {}
    for item in parsed.rows():
        if isinstance(item, ParsedRow):
            (link,) = item.records
            assert isinstance(link, Link) and link.source is None
            found[item.row] = link.target
        else:
            found[item.row] = item
    return found


@dataclass(frozen=True)
class Expected:
    path: Path
    fmt: str
    read: int
    imported: int
    rejected: dict[int, str]
    skipped: dict[int, str]
    people: frozenset[str]  # owner included
    evidence: int


FILES = [
    Expected(
        CURRENT, "google_contacts", read=9, imported=6,
        rejected={9: "no name, email or phone", 10: "invalid email 'bob(at)example.com'"},
        skipped={8: "organization's entry"},
        # Grace is on lines 2 and 11 (Google keeps duplicates): one person, one contact link.
        people=frozenset({OWNER, "Grace B. Hollis", "Ana Ruiz", "Sam Okafor", "Lee Chen", "Zoë Ångström"}), evidence=5,
    ),
    Expected(
        LEGACY, "google_contacts", read=4, imported=3, rejected={5: "no name, email or phone"}, skipped={},
        people=frozenset({OWNER, "Jürgen Müller", "Priya Raman", "Marcus O'Brien"}), evidence=3,
    ),
    Expected(
        OUTLOOK, "google_contacts", read=2, imported=2, rejected={}, skipped={},
        people=frozenset({OWNER, "Tara Voss", "Ben Wolf"}), evidence=2,
    ),
    Expected(
        V3, "vcard", read=7, imported=4,
        rejected={36: "line 39: not a 'NAME:value' property", 42: "not closed (BEGIN:VCARD again on line 46"},
        skipped={52: "X-ABShowAs:COMPANY"},
        people=frozenset({OWNER, "Grace Hollis", "Ana Ruiz", "Sam Okafor", "Lee Chen"}), evidence=4,
    ),
    Expected(
        V21, "vcard", read=5, imported=4, rejected={28: "no name, email or phone"}, skipped={},
        people=frozenset({OWNER, "Jürgen Müller", "Priya Raman", "François Lefèvre-Dupont", "Zoë Andersson"}), evidence=4,
    ),
    Expected(
        V4, "vcard", read=4, imported=2, rejected={}, skipped={14: "KIND:group", 27: "KIND:org"},
        people=frozenset({OWNER, "Tara Voss", "Marcus O'Brien"}), evidence=2,
    ),
]
IDS = [e.path.name for e in FILES]


def test_fixture_bytes_carry_each_quirk() -> None:
    assert CURRENT.read_bytes().startswith(b"\xef\xbb\xbfFirst Name,Middle Name,Last Name,")
    assert b"ana@example.com ::: ana.r@example.org" in CURRENT.read_bytes()
    assert LEGACY.read_bytes().startswith(b"\xff\xfeN\x00a\x00m\x00e\x00")  # UTF-16LE with BOM
    v21 = V21.read_bytes()
    assert b"ENCODING=QUOTED-PRINTABLE:Fran=C3=A7ois Lef=C3=A8vre-=\r\nDupont\r\n" in v21  # soft break, no indent
    assert b"CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Zo=EB" in v21
    v3 = V3.read_bytes()
    assert b"@exa\r\n mple.org" in v3 and b"item1.X-ABLabel:LinkedIn" in v3
    assert b"TEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+1-415-555-0142" in V4.read_bytes()


# --- whole files: exact counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("expected", FILES, ids=IDS)
def test_each_file_imports_with_exact_rows_people_and_evidence(store: SQLiteStore, ws: str, expected: Expected) -> None:
    job = _import(store, ws, expected.path)

    assert job.status is JobStatus.COMPLETED and job.format == expected.fmt
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        expected.read, expected.imported, len(expected.rejected), len(expected.skipped),
    )
    assert store.count_people(ws, None) == len(expected.people)
    assert _names(store, ws) == expected.people
    assert store.count_evidence(ws) == expected.evidence
    evidence = list(store.iter_evidence(ws))
    assert all(e.kind is EvidenceKind.CONTACT and e.channel is Channel.CONTACTS for e in evidence)
    assert all(e.person_a == job.owner_person_id and e.direction == "a->b" for e in evidence)
    assert all(e.at is None for e in evidence)  # address books do not date their contacts
    assert store.member_ids(ws) == [job.owner_person_id]


@pytest.mark.parametrize("expected", FILES, ids=IDS)
def test_rejected_and_skipped_rows_carry_their_line_and_reason(store: SQLiteStore, ws: str, expected: Expected) -> None:
    job = _import(store, ws, expected.path)

    rejects = store.rejects(job.id)
    assert {r.row for r in rejects if not r.skipped} == set(expected.rejected)
    assert {r.row for r in rejects if r.skipped} == set(expected.skipped)
    for r in rejects:
        assert (expected.skipped if r.skipped else expected.rejected)[r.row] in r.reason, (r.row, r.reason)


@pytest.mark.parametrize("expected", FILES, ids=IDS)
def test_importing_the_same_file_again_changes_nothing(store: SQLiteStore, ws: str, expected: Expected) -> None:
    first = _import(store, ws, expected.path)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, expected.path)

    assert again.id == first.id and len(store.list_jobs(ws)) == 1
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


@pytest.mark.parametrize("path", [CURRENT, LEGACY, OUTLOOK, V21, V3, V4], ids=lambda p: p.name)
def test_an_address_book_needs_an_owner_and_writes_nothing_without_it(store: SQLiteStore, ws: str, path: Path) -> None:
    with pytest.raises(MissingOwner, match="--owner"):
        import_file(store, ws, path)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0 and store.data_version(ws) == 0


# --- Google CSV ------------------------------------------------------------------------------------------


def test_multi_values_split_on_the_triple_colon_and_phones_normalise(store: SQLiteStore, ws: str) -> None:
    ana = _people(CURRENT)[3]
    assert ana.emails == ("ana@example.com", "ana.r@example.org")
    assert ana.phones == ("+34 600 000 000", "+34 911 000 000")

    _import(store, ws, CURRENT)

    ana_id = store.person_for_key(ws, "email", "ana.r@example.org")
    assert ana_id and store.person_for_key(ws, "phone", "+34911000000") == ana_id == store.person_for_key(ws, "phone", "+34600000000")
    sam = store.person_for_key(ws, "phone", "+14155550101")
    assert sam and store.get_people(ws, [sam])[sam].display_name == "Sam Okafor"
    assert store.person_for_key(ws, "name_org", "sam okafor|contoso") is None  # a record with a phone is known by it, not its name


def test_google_csv_fields_map_to_the_person() -> None:
    people = _people(CURRENT)
    grace, lee, zoe = people[2], people[5], people[6]

    assert (grace.first_name, grace.last_name, grace.organization, grace.title) == ("Grace", "Hollis", "Northwind", "VP Sales")
    assert grace.emails == ("grace@northwind.example", "grace.h@example.com")
    assert grace.linkedin_url == "https://www.linkedin.com/in/gracehollis"
    assert (lee.name, lee.first_name, lee.last_name) == ("Lee Chen", "Lee", "Chen")  # typed whole in First Name
    assert zoe.name == "Zoë Ångström"
    assert sorted(people) == [2, 3, 4, 5, 6, 8, 9, 10, 11]  # lines 6-7 are one row (a newline inside quotes)


def test_a_duplicated_contact_is_one_person_with_one_contact_link(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, CURRENT)

    grace = store.person_for_key(ws, "email", "grace@northwind.example")
    assert grace == store.person_for_key(ws, "linkedin", "gracehollis")
    assert len([e for e in store.iter_evidence(ws) if e.person_b == grace]) == 1


def test_the_legacy_utf16_export_reads_names_organizations_and_websites() -> None:
    people = _people(LEGACY)
    jurgen, priya = people[2], people[3]

    assert (jurgen.name, jurgen.organization, jurgen.title) == ("Jürgen Müller", "Müller & Söhne GmbH", "Geschäftsführer")
    assert jurgen.emails == ("juergen@example.de", "jm@example.org")
    assert priya.linkedin_url == "https://www.linkedin.com/in/priya-raman-4b1c2a"


def test_outlook_reads_job_title_and_company_not_the_name_prefix_and_skips_faxes() -> None:
    tara = _people(OUTLOOK)[2]
    assert (tara.title, tara.organization, tara.phones) == ("Head of Research", "Initech", ("+1 415 555 0142",))
    assert tara.emails == ("tara@initech.example", "tara.voss@example.net")


# --- vCard -----------------------------------------------------------------------------------------------


def test_vcard_3_unfolds_lines_reads_groups_and_unescapes() -> None:
    people = _people(V3)
    grace, ana, sam = people[1], people[16], people[28]

    assert grace.linkedin_url == "https://www.linkedin.com/in/gracehollis"  # item1.URL + item1.X-ABLabel
    assert (grace.organization, grace.title, grace.phones) == ("Northwind", "VP Sales", ("+1 415 555 0199",))
    assert ana.emails == ("ana.ruiz.with.a.rather.long.address.for.folding@example.org",)  # folded mid-word
    assert ana.phones == ("+34 600 000 000",)  # item2.TEL
    assert sam.organization == "Contoso, Ltd."  # "\," unescaped, the department dropped
    assert sam.handles == (("instagram", "samokafor"),)  # X-SOCIALPROFILE


def test_vcard_2_1_decodes_quoted_printable_in_its_charset() -> None:
    people = _people(V21)

    assert (people[1].name, people[1].first_name, people[1].last_name) == ("Jürgen Müller", "Jürgen", "Müller")
    assert (people[8].name, people[8].phones) == ("Priya Raman", ("+14155550177",))  # N only, no FN
    assert people[13].name == "François Lefèvre-Dupont"  # a soft line break whose next line is not indented
    assert people[22].name == "Zoë Andersson"  # CHARSET=ISO-8859-1 with a bare QUOTED-PRINTABLE param


def test_vcard_4_reads_tel_uris_and_lower_case_params(store: SQLiteStore, ws: str) -> None:
    people = _people(V4)
    assert people[1].phones == ("+1-415-555-0142",)  # "tel:" and ";ext=7" dropped
    assert people[1].linkedin_url == "https://www.linkedin.com/in/taravoss/"
    assert (people[1].organization, people[1].title) == ("Initech", "Head of Research")

    _import(store, ws, V4)

    assert store.person_for_key(ws, "phone", "+14155550142") == store.person_for_key(ws, "linkedin", "taravoss")
    assert store.person_for_key(ws, "phone", "+442079460958") is not None


def test_a_broken_card_is_rejected_at_its_begin_line_and_its_neighbours_import(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, V3)

    assert "Broken Card" not in _names(store, ws) and "Ghost Writer" not in _names(store, ws)
    assert store.person_for_key(ws, "email", "broken@example.com") is None
    assert store.person_for_key(ws, "email", "lee@example.com") is not None  # right after the unclosed card
    assert [r.row for r in store.rejects(job.id) if not r.skipped] == [36, 42]


def test_a_card_cut_off_by_the_end_of_the_file_is_rejected(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "cut.vcf"
    path.write_bytes(V4.read_bytes() + b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Cut Off\r\n")

    job = _import(store, ws, path)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (5, 2, 1, 2)
    (cut,) = [r for r in store.rejects(job.id) if not r.skipped]
    assert (cut.row, cut.reason) == (33, "the card is not closed (the file ends before END:VCARD)")


def test_text_outside_cards_is_one_reject_per_run_of_lines(tmp_path: Path) -> None:
    path = tmp_path / "junk.vcf"
    path.write_bytes(V4.read_bytes() + b"garbage one\r\ngarbage two\r\n\r\nEND:VCARD\r\n")

    rejects = {row: r for row, r in _people(path).items() if not hasattr(r, "emails")}
    assert {row: r.reason for row, r in rejects.items() if "outside" in r.reason} == {
        33: "text outside a BEGIN:VCARD … END:VCARD card", 36: "text outside a BEGIN:VCARD … END:VCARD card",
    }


def test_card_parsing_handles_2_1_folds_that_keep_their_white_space() -> None:
    card = RawCard(1, [(2, b"VERSION:2.1"), (3, b"FN:Ana"), (4, b" Maria Ruiz"), (5, b"EMAIL;INTERNET:ana@example.com")])
    (link,) = card_result(card).records
    assert link.target.name == "Ana Maria Ruiz"

    card = RawCard(1, [(2, b"VERSION:3.0"), (3, b"FN:Ana Mar"), (4, b" ia Ruiz")])
    (link,) = card_result(card).records
    assert link.target.name == "Ana Maria Ruiz"


def test_a_utf16_vcard_file_is_read(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "outlook_export.vcf"
    path.write_bytes(V3.read_bytes().decode("utf-8").encode("utf-16"))

    job = _import(store, ws, path)

    assert (job.format, job.rows_read, job.rows_imported) == ("vcard", 7, 4)


@pytest.mark.parametrize("layout", ["root", "macos", "windows"])
def test_a_zip_of_vcard_files_imports_every_card(store: SQLiteStore, ws: str, tmp_path: Path, layout: str) -> None:
    archive = tmp_path / "contacts.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in (V21, V3, V4):
            if layout == "macos":
                z.write(p, f"Contacts/{p.name}")
                z.writestr(f"__MACOSX/Contacts/._{p.name}", b"\x00\x05junk")
            else:
                z.write(p, f"Takeout\\Contacts\\{p.name}" if layout == "windows" else p.name)
    assert importers.detect(Source.from_path(archive)).name == "vcard"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (16, 10, 3, 3)
    assert store.count_people(ws, None) == 1 + 4 + 4 + 2  # the owner and each file's people
    rows = [r.row for r in store.rejects(job.id)]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)  # numbered as if the files were concatenated
    assert any("contacts_v3_google.vcf line 36:" in r.reason for r in store.rejects(job.id))


def test_a_google_csv_inside_a_zip_is_found(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    archive = tmp_path / "contacts.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CURRENT, "Google Contacts\\contacts.csv")
        z.writestr("__MACOSX/Google Contacts/._contacts.csv", b"\x00\x05junk")
        z.writestr("Google Contacts/README.txt", b"exported from contacts.google.com")
    assert importers.detect(Source.from_path(archive)).name == "google_contacts"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (9, 6, 2, 1)
    assert "read Google Contacts/contacts.csv" in job.notes


# --- detection -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"), [(e.path, e.fmt) for e in FILES], ids=IDS,
)
def test_each_file_is_detected_by_content_whatever_it_is_called(tmp_path: Path, path: Path, fmt: str) -> None:
    renamed = Path(shutil.copyfile(path, tmp_path / "export.txt"))
    assert importers.detect(Source.from_path(renamed)).name == fmt


# Every other format's fixture, files and folders alike (other importers' fixtures included).
OTHER_FIXTURES = sorted(
    p for d in FIXTURES.iterdir() if d.is_dir() and d.name != "contacts"
    for p in (d, *d.rglob("*")) if not p.name.startswith(".")
)


@pytest.mark.parametrize("path", OTHER_FIXTURES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_other_formats_files_are_not_taken_for_contacts(path: Path) -> None:
    source = Source.from_path(path)
    assert importers.get("google_contacts").sniff(source) == 0
    assert importers.get("vcard").sniff(source) == 0


def test_linkedin_and_facebook_exports_are_not_taken_for_contacts() -> None:
    for folder in (FIXTURES / "linkedin" / "export_folder", FIXTURES / "facebook" / "export_2024"):
        source = Source.from_path(folder)
        assert importers.get("google_contacts").sniff(source) == 0 and importers.get("vcard").sniff(source) == 0

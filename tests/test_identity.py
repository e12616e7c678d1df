from __future__ import annotations

from pathlib import Path

from graphsvc.identity import Resolver, fold, identity_keys, linkedin_slug, normalise_organization
from graphsvc.store import SQLiteStore
from importers.records import PersonRef


def test_normalisers() -> None:
    assert linkedin_slug("https://www.linkedin.com/in/Priya-Raman-4b1c2a/?trk=abc") == "priya-raman-4b1c2a"
    assert linkedin_slug("www.linkedin.com/in/jos%C3%A9") == "josé"
    assert linkedin_slug("https://example.org/in/x") == ""
    assert normalise_organization("Northwind Traders, Inc.") == normalise_organization("northwind traders") == "northwind traders"
    assert normalise_organization("Globex Corp.") == normalise_organization("Globex Corporation") == "globex"
    assert fold("Tomás  Ortega") == "tomas ortega"


def test_keys_strongest_first_and_credentials_ignored() -> None:
    ref = PersonRef(first_name="Lee", last_name="Chen, PhD", linkedin_url="https://www.linkedin.com/in/leechen", emails=("Lee@Ex.org",), organization="Fabrikam")
    assert identity_keys(ref) == [("linkedin", "leechen"), ("email", "lee@ex.org"), ("name_org", "lee chen|fabrikam")]


def test_resolution_merges_on_keys_and_never_across_linkedin_slugs(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    resolver = Resolver(store, ws)
    with store.atomic():
        a = resolver.resolve(PersonRef(first_name="Ana", last_name="Ruiz", linkedin_url="https://linkedin.com/in/ana-ruiz", organization="Contoso Ltd"))
        same_by_name_org = resolver.resolve(PersonRef(name="Ana Ruiz", emails=("ana@contoso.example",), organization="Contoso"))
        same_by_email = resolver.resolve(PersonRef(name="A. Ruiz", emails=("ANA@contoso.example",)))
        other_slug = resolver.resolve(PersonRef(first_name="Ana", last_name="Ruiz", linkedin_url="https://linkedin.com/in/ana-ruiz-2", organization="Contoso"))
        name_only = resolver.resolve(PersonRef(name="Ana Ruiz"))
    assert a == same_by_name_org == same_by_email
    assert other_slug != a
    assert name_only not in (a, other_slug)  # a bare name is not enough to merge with a known person
    merged = store.get_people(ws, [a])[a]
    assert merged.emails == ("ana@contoso.example",) and merged.organization == "Contoso Ltd"
    store.close()


def test_same_name_with_different_single_valued_ids_stays_two_people(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    resolver = Resolver(store, ws)
    with store.atomic():
        first = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "101"),)))
        second = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "202"),)))
        again = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "101"),)))
        by_name = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme"))
    assert first != second and again == first and by_name == first
    store.close()

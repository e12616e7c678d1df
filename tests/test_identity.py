from __future__ import annotations

from pathlib import Path

from graphsvc.identity.records import Resolver, fold, identity_keys, linkedin_slug, normalise_organization
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
        by_email = resolver.resolve(PersonRef(name="Ana Ruiz", emails=("ana@contoso.example",), organization="Contoso"))
        same_email = resolver.resolve(PersonRef(name="A. Ruiz", emails=("ANA@contoso.example",)))
        other_slug = resolver.resolve(PersonRef(first_name="Ana", last_name="Ruiz", linkedin_url="https://linkedin.com/in/ana-ruiz-2", organization="Contoso"))
        name_only = resolver.resolve(PersonRef(name="Ana Ruiz"))
        name_only_again = resolver.resolve(PersonRef(name="ana  ruiz"))
    # Exact keys join records; names never do at this stage (that is fuzzy matching's call).
    assert same_email == by_email and by_email != a and other_slug != a
    assert name_only == name_only_again and name_only not in (a, by_email, other_slug)
    assert store.keys_of(ws, name_only) == [("name_only", "ana ruiz")]
    assert ("name_org", "ana ruiz|contoso") not in store.keys_of(ws, a)
    store.close()


def test_same_name_with_different_single_valued_ids_stays_two_people(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    resolver = Resolver(store, ws)
    with store.atomic():
        first = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "101"),)))
        second = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "202"),)))
        again = resolver.resolve(PersonRef(name="Sam Lee", organization="Acme", handles=(("meetup", "101"),)))
        # an email that belongs to 101 does not pull a record with another Meetup id into it
        resolver.resolve(PersonRef(name="Sam Lee", emails=("sam@acme.example",), handles=(("meetup", "101"),)))
        third = resolver.resolve(PersonRef(name="Sam Lee", emails=("sam@acme.example",), handles=(("meetup", "303"),)))
    assert len({first, second, third}) == 3 and again == first
    assert ("meetup", "303") not in store.keys_of(ws, first)
    store.close()

"""Fuzzy identity resolution: automatic merges, possible duplicates, manual merge and split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsvc.errors import Conflict
from graphsvc.identity.matching import NameParts, Profile, blocking_keys, name_parts, score
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from importers import ImportOptions
from tests.servers import run_cli

OWNER = "Olivia Okafor"
CONNECTIONS = """First Name,Last Name,URL,Email Address,Company,Position,Connected On
Robert,Chen,https://www.linkedin.com/in/robert-chen-1,,"Acme Robotics, Inc.",CTO,14 Mar 2024
José,García,https://www.linkedin.com/in/jose-garcia,,Café Olé,Barista,02 Nov 2023
John,Park,https://www.linkedin.com/in/john-park-acme,,Acme Robotics,Engineer,02 Nov 2023
Priya,Raman,https://www.linkedin.com/in/priya-raman,,Northwind,Partnerships,02 Nov 2023
Priya,Raman,https://www.linkedin.com/in/priya-raman-2,,Northwind,Sales,02 Nov 2023
"""
SIGN_IN = """First Name,Last Name,E-mail,Organisation,Job Title
Bob,Chen,bob.chen@gmail.com,Acme Robotics,CTO
JOSE,GARCIA,jose@cafe-ole.example,,
John,Park,jpark@globex.example,Globex,Analyst
Priya,Raman,priya@gmail.com,Northwind,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def imported(service: Graphsvc, tmp_path: Path) -> tuple[Graphsvc, str]:
    ws = service.workspace().id
    service.import_file(ws, _write(tmp_path, "Connections.csv", CONNECTIONS), format="linkedin", options=ImportOptions(owner=OWNER))
    options = ImportOptions(event_name="Robotics meetup", event_date="2024-05-02")
    service.import_file(ws, _write(tmp_path, "signin.csv", SIGN_IN), format="signin_sheet", options=options)
    return service, ws


def _by_email(service: Graphsvc, ws: str, email: str) -> str:
    found = service.find_person(ws, email).person
    assert found is not None
    return found.id


# --- scoring ---------------------------------------------------------------------------------------


def test_names_fold_accents_case_titles_and_nicknames() -> None:
    assert name_parts("JOSÉ", "García", "") == NameParts("jose", "garcia")
    assert name_parts("", "", "Dr. Robert Chen, PhD") == NameParts("robert", "chen")
    assert name_parts("", "", "bob@example.com") is None
    assert set(blocking_keys(NameParts("bob", "chen"))) & set(blocking_keys(NameParts("robert", "chen")))
    assert set(blocking_keys(NameParts("jon", "chen"))) & set(blocking_keys(NameParts("john", "chen")))  # a typo shares l:chen|j


@pytest.mark.parametrize(
    ("a", "b", "namesakes", "auto", "candidate"),
    [
        (Profile("1", {NameParts("robert", "chen")}, {"acme"}), Profile("2", {NameParts("bob", "chen")}, {"acme"}), 0, True, True),
        (Profile("1", {NameParts("jose", "garcia")}), Profile("2", {NameParts("jose", "garcia")}), 0, True, True),
        (Profile("1", {NameParts("jose", "garcia")}), Profile("2", {NameParts("jose", "garcia")}), 1, False, True),
        (Profile("1", {NameParts("john", "park")}, {"acme"}), Profile("2", {NameParts("john", "park")}, {"globex"}), 0, False, True),
        (Profile("1", {NameParts("john", "park")}, {"acme"}), Profile("2", {NameParts("john", "park")}, {"globex"}), 1, False, False),
        (Profile("1", {NameParts("ann", "lee")}), Profile("2", {NameParts("bo", "kim")}), 0, False, False),
    ],
)
def test_score_thresholds(a: Profile, b: Profile, namesakes: int, auto: bool, candidate: bool) -> None:
    result = score(a, b, namesakes=namesakes)
    assert (result.auto_merge, result.candidate) == (auto, candidate)
    assert result.reasons or not candidate


def test_two_single_valued_accounts_rule_a_match_out() -> None:
    a = Profile("1", {NameParts("sam", "lee")}, {"acme"}, single_keys={"linkedin": {"sam-lee"}})
    b = Profile("2", {NameParts("sam", "lee")}, {"acme"}, single_keys={"linkedin": {"sam-lee-2"}})
    result = score(a, b)
    assert result.conflict == "different linkedin accounts" and not result.candidate


def test_email_that_spells_the_name_supports_a_nickname() -> None:
    a = Profile("1", {NameParts("robert", "chen")})
    b = Profile("2", {NameParts("bob", "chen")}, emails={"bob.chen@gmail.com"})
    assert "an e-mail address spells the name" in score(a, b).reasons and score(a, b).auto_merge


def test_a_nickname_and_a_typo_in_the_last_name_share_a_block() -> None:
    # neither the last name (l:, n:) nor the given name (f:kate|c) is shared; the formal name is
    kate, katherine = NameParts("kate", "castillo urqhuart"), NameParts("katherine", "castillo urquhart")
    assert "f:katherine|c" in set(blocking_keys(kate)) & set(blocking_keys(katherine))
    assert score(Profile("1", {kate}, {"studio 8"}), Profile("2", {katherine}, {"studio 8"})).auto_merge


def test_two_swapped_letters_in_the_last_name_count_like_a_nickname() -> None:
    signed_in = Profile("1", {NameParts("rebecca", "jnassen")})
    found = score(signed_in, Profile("2", {NameParts("rebecca", "janssen")}))
    assert found.points == 3.4 and found.auto_merge
    assert found.reasons[0] == "last names jnassen and janssen differ by two swapped letters"
    # another letter is another family name as often as a typo; a swap in a given name makes another name
    assert not score(Profile("1", {NameParts("rebecca", "jansen")}), Profile("2", {NameParts("rebecca", "jensen")})).auto_merge
    assert not score(Profile("1", {NameParts("elsie", "janssen")}), Profile("2", {NameParts("elise", "janssen")})).auto_merge
    assert not score(Profile("1", {NameParts("ana", "iot")}), Profile("2", {NameParts("ana", "ito")})).auto_merge  # too short to tell


def test_two_personal_addresses_stop_a_match_on_the_name_alone() -> None:
    gmail = Profile("1", {NameParts("paloma", "tanaka")}, emails={"paloma8829@gmail.com"})
    proton = Profile("2", {NameParts("paloma", "tanaka")}, emails={"paloma6169@proton.me"})
    found = score(gmail, proton)
    assert "different personal e-mail addresses" in found.reasons and not found.auto_merge and found.candidate
    # what else they share still decides; a work address and a personal one are no conflict
    assert score(Profile("1", gmail.names, {"studio 47"}, gmail.emails), Profile("2", proton.names, {"studio 47"}, proton.emails)).auto_merge
    at_work = Profile("3", {NameParts("paloma", "tanaka")}, emails={"paloma.tanaka@studio47.example"})
    assert score(gmail, at_work).auto_merge and "different personal e-mail addresses" not in score(gmail, at_work).reasons


# --- automatic merges during imports ------------------------------------------------------------------


def test_imports_merge_nicknames_and_accents_but_not_look_alikes(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    robert = service.find_person(ws, "https://www.linkedin.com/in/robert-chen-1").person
    assert robert is not None and _by_email(service, ws, "bob.chen@gmail.com") == robert.id
    assert robert.emails == ("bob.chen@gmail.com",) and robert.display_name == "Robert Chen"
    assert {s.source_format for s in service.store.sightings(ws, robert.id)} == {"linkedin", "signin_sheet"}
    assert _by_email(service, ws, "jose@cafe-ole.example") == service.find_person(ws, "https://www.linkedin.com/in/jose-garcia").person.id  # type: ignore[union-attr]
    # same name, another company: two people, listed as possible duplicates with the reason
    john_acme = service.find_person(ws, "https://www.linkedin.com/in/john-park-acme").person
    assert john_acme is not None and _by_email(service, ws, "jpark@globex.example") != john_acme.id
    # two Priya Ramans with their own LinkedIn profiles: the sign-in row is ambiguous, nobody merges
    priyas = {service.find_person(ws, f"https://www.linkedin.com/in/{s}").person.id for s in ("priya-raman", "priya-raman-2")}  # type: ignore[union-attr]
    assert len(priyas) == 2 and _by_email(service, ws, "priya@gmail.com") not in priyas
    pairs = {frozenset((c.a, c.b)): c for c in service.duplicates(ws)}
    john_pair = pairs[frozenset((john_acme.id, _by_email(service, ws, "jpark@globex.example")))]
    assert "different organizations" in john_pair.reasons and not john_pair.auto
    assert frozenset(priyas) not in pairs  # different LinkedIn profiles are never duplicates
    assert all(frozenset((p, _by_email(service, ws, "priya@gmail.com"))) in pairs for p in priyas)
    assert service.store.count_people(ws, None) == 1 + 5 + 2  # owner, five LinkedIn people, John and Priya from the sheet


def test_reimport_changes_nothing_and_merged_people_keep_their_ties(imported: tuple[Graphsvc, str], tmp_path: Path) -> None:
    service, ws = imported
    version = service.store.data_version(ws)
    service.import_file(ws, _write(tmp_path, "signin.csv", SIGN_IN), format="signin_sheet", options=ImportOptions(event_name="Robotics meetup", event_date="2024-05-02"))
    assert service.store.data_version(ws) == version
    robert = _by_email(service, ws, "bob.chen@gmail.com")
    view = service.view(ws)
    owner = service.store.member_ids(ws)[0]
    assert view.tie(owner, robert) is not None  # the LinkedIn connection, read on the merged person
    assert robert in view.snap.attendees[next(iter(view.snap.attendees))]  # the sign-in sheet's attendance too


# --- manual merge and split ------------------------------------------------------------------------------


def test_dry_run_changes_nothing_then_merge_and_split_restore_exactly(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    john = "https://www.linkedin.com/in/john-park-acme"
    before_people = [p.id for p in service.store.search_people(ws, None, 100)]
    before_evidence = sorted(e.id for e in service.store.iter_evidence(ws))
    version = service.store.data_version(ws)

    preview = service.merge_people(ws, john, "jpark@globex.example", dry_run=True)
    assert not preview.applied and preview.person.emails == ("jpark@globex.example",) and len(preview.absorbed) == 1
    assert service.store.data_version(ws) == version

    merged = service.merge_people(ws, john, "jpark@globex.example")
    assert merged.applied and _by_email(service, ws, "jpark@globex.example") == merged.person.id
    assert service.store.count_people(ws, None) == len(before_people) - 1
    assert all({merged.person.id} != {c.a, c.b} for c in service.duplicates(ws))
    with pytest.raises(Conflict):
        service.merge_people(ws, john, "jpark@globex.example")  # already one person

    split = service.split_person(ws, john)
    assert [p.id for p in split.people][0] == merged.person.id and len(split.people) == 2
    assert [p.id for p in service.store.search_people(ws, None, 100)] == before_people
    assert sorted(e.id for e in service.store.iter_evidence(ws)) == before_evidence
    # a split is remembered: the pair is no longer offered, and never merged automatically
    assert all(frozenset((c.a, c.b)) != frozenset(p.id for p in split.people) for c in service.duplicates(ws))



def test_people_search_finds_a_person_by_what_any_of_their_records_says(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    jose = service.find_person(ws, "https://www.linkedin.com/in/jose-garcia").person
    assert jose is not None
    # the sign-in sheet's JOSE GARCIA (merged automatically) carries the address; accents and case folded
    for text in ("jose@cafe-ole.example", "JOSE@CAFE-OLE", "José García", "jose garcia", "Café Olé", "cafe ole"):
        page = service.people(ws, text)
        assert [p.id for p in page.people] == [jose.id] and page.total == 1, text
    john = "https://www.linkedin.com/in/john-park-acme"
    assert service.people(ws, "jpark@globex.example").total == 1
    merged = service.merge_people(ws, john, "jpark@globex.example")
    for text in ("jpark@globex.example", "globex", "john park"):
        page = service.people(ws, text)
        assert [p.id for p in page.people] == [merged.person.id] and page.total == 1, text
    assert service.find_person(ws, "John Park").person == merged.person
    split = service.split_person(ws, john)
    assert sorted(p.id for p in service.people(ws, "john park").people) == sorted(p.id for p in split.people)


def test_merging_two_linkedin_profiles_is_refused(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    with pytest.raises(Conflict, match="different linkedin accounts"):
        service.merge_people(ws, "https://www.linkedin.com/in/priya-raman", "https://www.linkedin.com/in/priya-raman-2")


def test_an_automatic_merge_can_be_split_and_stays_split_on_reimport(imported: tuple[Graphsvc, str], tmp_path: Path) -> None:
    service, ws = imported
    robert = _by_email(service, ws, "bob.chen@gmail.com")
    split = service.split_person(ws, robert)
    bob = _by_email(service, ws, "bob.chen@gmail.com")
    assert bob != robert and {p.id for p in split.people} == {robert, bob}
    # the same rows again (another file, so a new job) resolve to the same records and stay apart
    service.import_file(ws, _write(tmp_path, "signin-copy.csv", SIGN_IN + "Zed,Zulu,zed@example.org,,\n"), format="signin_sheet",
                        options=ImportOptions(event_name="Robotics meetup", event_date="2024-05-02"))
    assert _by_email(service, ws, "bob.chen@gmail.com") == bob != robert


def test_dismissed_duplicates_are_no_longer_listed(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    john = service.find_person(ws, "https://www.linkedin.com/in/john-park-acme").person
    other = _by_email(service, ws, "jpark@globex.example")
    assert john is not None
    service.dismiss_duplicate(ws, john.id, other)
    assert all(frozenset((c.a, c.b)) != frozenset((john.id, other)) for c in service.duplicates(ws))


# --- the CLI ---------------------------------------------------------------------------------------------


def test_cli_duplicates_merge_and_split(tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    connections, sheet = _write(tmp_path, "Connections.csv", CONNECTIONS), _write(tmp_path, "signin.csv", SIGN_IN)
    assert run_cli(["import", str(connections), "--format", "linkedin", "--owner", OWNER], env).returncode == 0
    done = run_cli(["import", str(sheet), "--event-name", "Robotics meetup", "--event-date", "2024-05-02"], env)
    assert done.returncode == 0, done.stderr

    listed = run_cli(["duplicates", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    pairs = json.loads(listed.stdout)["duplicateCandidates"]["edges"]
    john = next(e["node"] for e in pairs if e["node"]["a"]["name"] == "John Park")
    assert "different organizations" in john["reasons"]
    human = run_cli(["duplicates"], env)
    assert "John Park" in human.stdout and "graphsvc merge" in human.stdout

    dry = run_cli(["merge", john["a"]["id"], john["b"]["id"], "--dry-run", "--json"], env)
    assert json.loads(dry.stdout)["mergePeople"]["applied"] is False
    assert len(json.loads(run_cli(["duplicates", "--json"], env).stdout)["duplicateCandidates"]["edges"]) == len(pairs)
    merged = run_cli(["merge", john["a"]["id"], john["b"]["id"]], env)
    assert merged.returncode == 0 and "Merged 1 record(s)" in merged.stdout
    # both records' addresses find the one person now (issue 15: the address on a merged record)
    for email in ("jpark@globex.example", "JPARK@GLOBEX"):
        found = json.loads(run_cli(["people", email, "--json"], env).stdout)
        assert found["totalCount"] == 1 and found["people"][0]["id"] == john["a"]["id"], email

    split = run_cli(["split", john["a"]["id"], "--json"], env)
    assert split.returncode == 0, split.stderr
    assert {p["id"] for p in json.loads(split.stdout)["splitPerson"]["people"]} == {john["a"]["id"], john["b"]["id"]}
    refused = run_cli(["merge", "https://www.linkedin.com/in/priya-raman", "https://www.linkedin.com/in/priya-raman-2"], env)
    assert refused.returncode == 2 and "different linkedin accounts" in (refused.stdout + refused.stderr)


def test_numbered_names_are_different_people_not_typos() -> None:
    a = Profile("1", {NameParts("dev", "moreau 290")}, {"various"})
    b = Profile("2", {NameParts("dev", "moreau 462")}, {"various"})
    assert score(a, b).points == 0 and not score(a, b).candidate


def test_duplicate_candidates_page_like_every_other_list(imported: tuple[Graphsvc, str]) -> None:
    import asyncio

    import httpx

    from graphsvc.api.app import create_app

    service, ws = imported
    everyone = service.duplicates(ws)
    assert len(everyone) >= 2

    async def run() -> list[dict]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test") as client:
            async def ask(after: str | None, first: int = 1) -> dict:
                body = {"query": "query($first: Int!, $after: String) { duplicateCandidates(first: $first, after: $after) { totalCount "
                                 "pageInfo { hasNextPage endCursor } edges { node { a { id } b { id } points } } } }",
                        "variables": {"first": first, "after": after}}
                return (await client.post("/graphql", json=body)).json()

            pages, after = [], None
            while True:
                page = (await ask(after))["data"]["duplicateCandidates"]
                pages.append(page)
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            big = (await ask(None, 500))["data"]["duplicateCandidates"]
            garbage = await ask("bm90LWEtY3Vyc29y")
            return [*pages, big, garbage]

    *pages, big, garbage = asyncio.run(run())
    one_by_one = [(e["node"]["a"]["id"], e["node"]["b"]["id"]) for p in pages for e in p["edges"]]
    assert one_by_one == [(c.a, c.b) for c in everyone]  # each pair once, most likely first
    assert all(p["totalCount"] == len(everyone) for p in pages)
    assert len(big["edges"]) == len(everyone) and big["pageInfo"]["hasNextPage"] is False  # 500 is served as at most 100
    assert garbage["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


LOOKALIKES_IN_ONE_FILE = """First Name,Last Name,E-mail,Organisation
Robert,Chen,robert.chen@acme.example,Acme Robotics
Priya,Raman,priya@northwind.example,Northwind
Bob,Chen,bob.chen@gmail.com,Acme Robotics
José,García,jgarcia@cafe-ole.example,Café Olé
Priya,Raman,priya.raman@globex.example,Globex
Jose,Garcia,jose@gmail.com,Cafe Ole
Kate,Castillo,katherine@initech.example,Initech
Katherine,Castillo,kate.c@gmail.com,Initech
"""
LOOKALIKES_LATER = """First Name,Last Name,E-mail,Organisation
Bobby,Chen,bob.chen@hotmail.com,Acme Robotics
Priya,Raman,praman@gmail.com,
"""


def test_rows_of_one_list_with_different_addresses_stay_apart_and_a_record_two_namesakes_fit_equally(
    service: Graphsvc, tmp_path: Path
) -> None:
    ws = service.workspace().id
    options = ImportOptions(event_name="Robotics meetup", event_date="2024-05-02")
    service.import_file(ws, _write(tmp_path, "signin.csv", LOOKALIKES_IN_ONE_FILE), format="signin_sheet", options=options)
    people = sorted(sorted(p.emails) for p in service.store.search_people(ws, None, 100))
    # two rows of one list with two addresses are two people (issue 15), however alike their names
    assert len(people) == 8 and all(len(emails) == 1 for emails in people)
    later = ImportOptions(event_name="Robotics workshop", event_date="2024-06-02")
    service.import_file(ws, _write(tmp_path, "signin2.csv", LOOKALIKES_LATER), format="signin_sheet", options=later)
    people = sorted(sorted(p.emails) for p in service.store.search_people(ws, None, 100))
    # another list's Bobby Chen at Acme with a Hotmail address: the Bob Chen of the first list has
    # another personal address, Robert Chen's is at Acme: he is Robert (the first list's rule does not reach him)
    assert ["bob.chen@hotmail.com", "robert.chen@acme.example"] in people and ["bob.chen@gmail.com"] in people
    # a Priya Raman without an organization fits the one at Northwind as well as the one at Globex: merged with neither
    assert ["praman@gmail.com"] in people and ["priya@northwind.example"] in people and len(people) == 9


def test_an_import_refiles_a_workspace_an_older_blocking_rule_filed(service: Graphsvc, tmp_path: Path) -> None:
    import sqlite3

    ws = service.workspace().id
    options = ImportOptions(event_name="Robotics meetup", event_date="2024-05-02")
    first = "First Name,Last Name,E-mail,Organisation\nKate,Castillo-Urqhuart,kate.cu@gmail.com,Initech\n"
    service.import_file(ws, _write(tmp_path, "first.csv", first), format="signin_sheet", options=options)
    # as the rule before version 2 left it: a nickname was not also filed under its formal name's last-initial block
    db = sqlite3.connect(service.raw_store.path)  # type: ignore[attr-defined]
    with db:
        db.execute("DELETE FROM person_blocks WHERE block = 'f:katherine|c'")
        db.execute("DELETE FROM block_versions")
    db.close()
    assert service.raw_store.people_in_blocks(ws, ["f:katherine|c"]) == {}
    second = "First Name,Last Name,E-mail,Organisation\nKatherine,Castillo-Urquhart,katherine@initech.example,Initech\n"
    service.import_file(ws, _write(tmp_path, "second.csv", second), format="signin_sheet", options=options)
    # Kate was re-filed before Katherine was compared: they share that block, and are one person
    assert len(service.raw_store.people_in_blocks(ws, ["f:katherine|c"])["f:katherine|c"]) == 2
    assert [sorted(p.emails) for p in service.store.search_people(ws, None, 10)] == [["kate.cu@gmail.com", "katherine@initech.example"]]


def test_a_record_that_learns_a_new_employer_is_compared_again_with_it(service: Graphsvc, tmp_path: Path) -> None:
    ws = service.workspace().id
    service.import_file(ws, _write(tmp_path, "Connections.csv", "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                                   "Ana,Ruiz,https://www.linkedin.com/in/ana-ruiz-globex,,Globex,Engineer,14 Mar 2024\n"),
                        format="linkedin", options=ImportOptions(owner=OWNER))
    header = "First Name,Last Name,E-mail,Organisation\n"
    spring = ImportOptions(event_name="Spring meetup", event_date="2024-04-02")
    service.import_file(ws, _write(tmp_path, "spring.csv", header + "Ana,Ruiz,ana.ruiz@gmail.com,Initech\n"), format="signin_sheet", options=spring)
    assert service.store.count_people(ws, None) == 3  # the owner and two Ana Ruizes: different organizations
    autumn = ImportOptions(event_name="Autumn meetup", event_date="2024-10-02")
    service.import_file(ws, _write(tmp_path, "autumn.csv", header + "Ana,Ruiz,ana.ruiz@gmail.com,Globex\n"), format="signin_sheet", options=autumn)
    # the same address now at Globex: the record keeps Initech, matching knows both, and she is one person
    (ana,) = [p for p in service.store.search_people(ws, "Ruiz", 10)]
    assert ana.emails == ("ana.ruiz@gmail.com",) and ana.linkedin_url.endswith("ana-ruiz-globex")

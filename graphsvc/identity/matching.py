"""Whether two people records are the same human: blocking keys and a scored comparison.

Pure functions over plain data; ``graphsvc.identity.merging`` applies them to a workspace.

Exact identity keys (emails, profile URLs, account ids, phones) are handled before any of this,
by ``graphsvc.identity.records``. What is left is the hard part: "Bob Chen" on a sign-in sheet,
"Robert Chen, Acme" on LinkedIn and "Chen Robert" in a contacts file. A comparison adds up
points for and against, each with a reason a person can read:

============================================  ========
evidence                                       points
============================================  ========
same first and last name (accents and case     +3.0
folded, titles and credentials dropped)
first name a nickname of the other (Bob and    +2.4
Robert), same last name
two neighbouring letters swapped in the last   +2.4
name (Jnassen and Janssen), same first name
another typo or an initial in one name         +1.2 .. +1.8
nobody else in the workspace has that name     +1.0
two or more others have that name              -1.0
same organization                              +2.0
different organizations, both known            -2.0
... one side's named by address books only     -1.0
(``ADDRESS_BOOKS``: maybe a former employer)
a work address at the other's organization      +1.5
two different work addresses                   -1.5
two different personal addresses (gmail.com,   -1.0
icloud.com, ...), none in common
an e-mail address that spells the other's      +1.0
name (bob.chen@, rchen@); holds the given      +0.5
name (benjamin1767@)
a shared event or acquaintance (not a          +1.0
workspace member: members know everyone)
different middle names or initials (I. and     -4.0
H.; none on one side is no conflict)
the same middle name or initial on both        +1.0
sides ("Jonathan A." twice)
two keyed rows of one attendee list or         -4.0
address book (``LIST_FORMATS``)
============================================  ========

Two records merge automatically at ``AUTO_MERGE`` points (e.g. the same rare name with nothing
against it, or a nickname plus the same organization) and are listed as possible duplicates
from ``CANDIDATE`` points. Different values of a key a person has only one of (two LinkedIn
profiles, two X accounts) rule a match out whatever the points.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rapidfuzz.distance import JaroWinkler

from graphsvc.identity.normalise import fold, normalise_organization
from importers.names import split_name

AUTO_MERGE = 3.4
CANDIDATE = 2.0
#: Blocks with more members than this are too common a name to say anything; they are skipped.
MAX_BLOCK = 50
#: The blocking rule (``blocking_keys``) the stored name blocks were filed by: change it whenever
#: that rule changes, and every workspace is re-filed before its next import or duplicate search
#: (``graphsvc.identity.records.ensure_blocks``). 2: nickname variants also with the last initial.
BLOCKING_VERSION = "2"

#: Mail providers whose domain says nothing about where someone works.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com", "msn.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de",
    "mail.com", "yandex.ru", "qq.com", "163.com", "fastmail.com", "hey.com", "zoho.com",
})


@functools.lru_cache(maxsize=1)
def _nicknamer():  # type: ignore[no-untyped-def]
    from nicknames import NickNamer

    return NickNamer()


@functools.lru_cache(maxsize=65536)
def name_variants(first: str) -> frozenset[str]:
    """The folded first name and the formal names it is a nickname of: ``"bob"`` -> bob, robert, ..."""
    if not first:
        return frozenset()
    return frozenset({first, *_nicknamer().canonicals_of(first)})


@functools.lru_cache(maxsize=65536)
def same_given_name(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same given name or one is a nickname of the other."""
    if a == b:
        return True
    namer = _nicknamer()
    return bool(name_variants(a) & name_variants(b)) or b in namer.nicknames_of(a) or a in namer.nicknames_of(b)


#: Letters that are not a base letter plus an accent, so accent folding leaves them alone.
LATIN = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "Ae", "đ": "d", "Đ": "D", "þ": "th", "ı": "i"})


@dataclass(frozen=True, slots=True)
class NameParts:
    first: str  # folded
    last: str  # folded, may hold several words ("garcia lopez")
    middle: tuple[str, ...] = ()  # folded middle names or initials ("kalinda i. haddad": ("i",)), not part of blocking

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


@functools.lru_cache(maxsize=65536)  # an import meets the same names many times
def name_parts(first: str, last: str, display: str) -> NameParts | None:
    """The folded first and last name of a record, or None when it has no usable two-part name."""
    if not (first and last) and display and "@" not in display and ":" not in display:
        first, last = split_name(display)
    first_words, last_words = fold(first.translate(LATIN)).split(), fold(last.translate(LATIN)).split()
    if not first_words or not last_words:
        return None
    return NameParts(first_words[0], " ".join(last_words), _middle_names(first, " ".join(last_words), first_words[0], display))


#: A nickname given in quotes or brackets ('Robert "Bob" Chen', "Jonathan (Jon)"): not a middle name.
_NICKNAME_ASIDE = re.compile(r"\([^)]*\)|\[[^]]*\]|\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?:^|\s)'[^']*'(?=\s|$)")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def _name_words(text: str) -> list[str]:
    return _NAME_WORD.findall(fold(_NICKNAME_ASIDE.sub(" ", text).translate(LATIN)))


def _middle_names(first: str, last: str, first_word: str, display: str) -> tuple[str, ...]:
    """The middle names or initials of a name: what follows the given name in a first-name column
    ("Kalinda I."), else what a full name puts between the given and the family name ("Kalinda I.
    Haddad", parsed by ``nameparser``), when it parses to the same given and family name."""
    words = _name_words(first)
    if len(words) > 1:
        return tuple(words[1:])
    if display and "@" not in display and ":" not in display and len(display.split()) > 2:
        parsed = _parsed(display)
        given, middle, family = parsed
        if middle and given[:1] == [first_word] and " ".join(family) == last:
            return tuple(middle)
    return ()


@functools.lru_cache(maxsize=65536)
def _parsed(full: str) -> tuple[list[str], list[str], list[str]]:
    from nameparser import HumanName

    name = HumanName(full.strip())
    return _name_words(name.first), _name_words(name.middle), _name_words(name.last)


def _middle_agrees(x: str, y: str) -> bool:
    if x == y:
        return True
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]  # an initial
    return same_given_name(x, y) or (x[0] == y[0] and JaroWinkler.similarity(x, y) >= 0.9)  # a nickname or a typo


@functools.lru_cache(maxsize=65536)
def middle_names_conflict(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names' middle names or initials say two people: both have some, and one of the
    shorter list's matches none of the other's. "Kalinda Haddad" and "Kalinda I. Haddad" do not
    conflict (one gave none), "I." and "H." do, "Ana M." and "Ana María" do not."""
    if not a or not b:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return not all(any(_middle_agrees(x, y) for y in long) for x in short)


@functools.lru_cache(maxsize=65536)
def blocking_keys(parts: NameParts | None) -> tuple[str, ...]:
    """Keys that put records worth comparing in the same block.

    Same last name and first initial (typos and initials in the first name); same last name and a
    shared formal first name (nicknames); same first name, or a formal name it stands for, and last
    initial (typos in the last name, also behind a nickname: "Kate Castillo-Urqhuart" and
    "Katherine Castillo-Urquhart" share ``f:katherine|c``).
    """
    if parts is None:
        return ()
    keys = {f"l:{parts.last}|{parts.first[0]}"}
    # every formal name a nickname stands for, and the name itself (which others' variants point at)
    for variant in name_variants(parts.first):
        keys.update((f"n:{variant}|{parts.last}", f"f:{variant}|{parts.last[0]}"))
    return tuple(sorted(keys))


@dataclass
class Profile:
    """What is known about one person (all the records merged into them), for comparison."""

    id: str
    names: set[NameParts] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)  # normalised
    emails: set[str] = field(default_factory=set)
    single_keys: dict[str, set[str]] = field(default_factory=dict)  # kind -> values (linkedin, x, ...)
    contexts: set[str] = field(default_factory=set)  # events attended, non-member acquaintances
    is_member: bool = False
    #: Its records known by an exact key (an email, a profile, a phone), and the list-like imports
    #: (``LIST_FORMATS``) they were rows of: filled only when needed (``merging``), None until then.
    keyed: set[str] = field(default_factory=set)
    lists: frozenset[str] | None = None
    #: Its records, and which kinds of source (``source_format``) named each of its organizations:
    #: filled only when it could change a decision (``merging``), None until then.
    records: set[str] = field(default_factory=set)
    organization_sources: dict[str, frozenset[str]] | None = None

    def add_name(self, first: str, last: str, display: str) -> None:
        parts = name_parts(first, last, display)
        if parts:
            self.names.add(parts)

    def add_organization(self, organization: str) -> None:
        normalised = normalise_organization(organization)
        if normalised:
            self.organizations.add(normalised)


#: Imports that are lists of people, one row each (attendee lists, address books): two rows of
#: one such list with different exact keys (two addresses) are two people, as two Facebook friends
#: of one name are (``facebook_namesake``). LinkedIn rows are told apart by their profiles already.
LIST_FORMATS = frozenset({"signin_sheet", "eventbrite", "luma", "zoom", "meetup", "google_contacts", "vcard"})
#: What conflicting middle names or initials, or two rows of one list, take off: more than any
#: name, organization and address together add (at most 6.4), so neither ever merges
#: automatically; a pair with strong evidence besides is still listed as a possible duplicate.
APART = 4.0
#: Both names give a middle name or initial, and the same one ("Jonathan A. Janssen" twice).
MIDDLE_AGREES = 1.0
#: Address books: an entry is written when two people meet and seldom updated, so the organization
#: it gives may be a former employer (a job change), while a LinkedIn profile or an attendee list
#: says where someone is now. Different organizations when one side's come from address books
#: only take off ``DIFFERENT_ORGANIZATIONS_BOOK`` instead of ``DIFFERENT_ORGANIZATIONS``.
ADDRESS_BOOKS = frozenset({"google_contacts", "vcard"})
DIFFERENT_ORGANIZATIONS = 2.0
DIFFERENT_ORGANIZATIONS_BOOK = 1.0


def from_address_book(profile: Profile) -> bool:
    """Whether every organization of ``profile`` was named by address books only, and no work
    address of theirs is at one of them (which says the entry is current). Known once
    ``organization_sources`` is filled; unknown is False."""
    sources = profile.organization_sources
    return (
        sources is not None and bool(profile.organizations)
        and all(bool(sources.get(o)) and sources[o] <= ADDRESS_BOOKS for o in profile.organizations)
        and not _at_organization(_work_domains(profile), profile.organizations)
    )


def could_reach(a: Profile, b: Profile, found: MatchScore, threshold: float) -> bool:
    """Whether ``found`` (``score(a, b)``) reaches ``threshold``, or could once the sources of
    their organizations are read (``organization_sources``: an address book's is weaker evidence)."""
    if found.conflict:
        return False
    if found.points >= threshold:
        return True
    unread = a.organization_sources is None or b.organization_sources is None
    return unread and "different organizations" in found.reasons and (
        found.points + DIFFERENT_ORGANIZATIONS - DIFFERENT_ORGANIZATIONS_BOOK >= threshold
    )


def same_list(a: Profile, b: Profile) -> bool:
    """Whether ``a`` and ``b`` each hold a keyed row of one list (``LIST_FORMATS``): two people."""
    return bool(a.lists and b.lists and not a.lists.isdisjoint(b.lists))


def middles_agree(a: Profile, b: Profile) -> str:
    """The middle name or initial that a pair of agreeing names of ``a`` and ``b`` both give, or ""
    ("Jonathan A. Janssen" and "Jonathan A. Janssen"; "Ana M." and "Ana María" agree on "m")."""
    for x in a.names:
        if not x.middle:
            continue
        for y in b.names:
            if y.middle and not middle_names_conflict(x.middle, y.middle) and _name_points(x, y)[0] > 0:
                return min(x.middle + y.middle, key=len)
    return ""


def middles_differ(a: Profile, b: Profile) -> str:
    """The two conflicting middle names of a pair of agreeing names of ``a`` and ``b``, or ""."""
    for x in a.names:
        if not x.middle:
            continue
        for y in b.names:
            if y.middle and middle_names_conflict(x.middle, y.middle) and _name_points(x, y)[0] > 0:
                return f"{' '.join(x.middle)} and {' '.join(y.middle)}"
    return ""


@dataclass(frozen=True)
class MatchScore:
    points: float
    reasons: tuple[str, ...]
    conflict: str = ""  # why these two can never be one person

    @property
    def auto_merge(self) -> bool:
        return not self.conflict and self.points >= AUTO_MERGE

    @property
    def candidate(self) -> bool:
        return not self.conflict and self.points >= CANDIDATE


#: How much a first or last name agreement is worth, times 3 for the pair: the same name is 3.0
#: points, a nickname or two swapped letters in the last name 2.4, another one-letter typo 1.8, an
#: initial 1.2, a nickname and a typo 1.4. Two neighbouring letters swapped (Jnassen, Janssen) is a
#: common slip on a keyboard and keeps every letter, while two different family names seldom differ
#: by just that (they differ by a letter: Jansen, Jensen): as telling as a nickname. Not so for given
#: names, where it makes other names (Elise, Elsie; Carol, Carlo): a swap there is a plain typo.
FIRST_NAME = {"same": 1.0, "nickname": 0.8, "typo": 0.6, "initial": 0.4}
LAST_NAME = {"same": 1.0, "swap": 0.8, "typo": 0.6}
#: Family names shorter than this are not taken to hold a swap (Ito and Iot, Kim and Kmi say too little).
SWAP_MIN = 5


def _swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two neighbouring letters swapped (``janssen``, ``jnassen``)."""
    if len(a) != len(b) or len(a) < SWAP_MIN:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


# Cached by name, not by person: a file has a few thousand given and family names, but a few
# million pairs of full names.
@functools.lru_cache(maxsize=262144)
def _first_agreement(a: str, b: str) -> str:
    if a == b:
        return "same"
    if _has_digit(a) or _has_digit(b):
        return ""  # "Alex01" and "Alex02" are numbered people, not typos of each other
    if same_given_name(a, b):
        return "nickname"
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return "initial"
    if a[0] == b[0] and JaroWinkler.similarity(a, b) >= 0.9:
        return "typo"
    return ""


@functools.lru_cache(maxsize=65536)  # pairs of family names are many and seldom met twice: kept small
def _last_agreement(a: str, b: str) -> str:
    if a == b:
        return "same"
    # most pairs compared are two different family names with one initial: the similarity rules
    # them out first (and a swap of two letters in a name of SWAP_MIN or more is at least 0.93 similar)
    if min(len(a), len(b)) < 4 or JaroWinkler.similarity(a, b) < 0.92 or _has_digit(a) or _has_digit(b):
        return ""
    return "swap" if _swapped(a, b) else "typo"


_has_digit = re.compile(r"\d").search


def _name_points(a: NameParts, b: NameParts) -> tuple[float, str]:
    last = _last_agreement(a.last, b.last)
    if not last:
        return 0.0, ""  # the usual case among the people of a block: decided without the first names
    first = _first_agreement(a.first, b.first)
    if not first:
        return 0.0, ""
    points = round(3.0 * FIRST_NAME[first] * LAST_NAME[last], 2)
    if first == last == "same":
        return points, f"same name ({a.full})"
    parts = []
    if first != "same":
        parts.append({"nickname": f"{a.first} and {b.first} are the same given name", "initial": f"initial {a.first[0]}. matches",
                      "typo": f"first names {a.first} and {b.first} differ by a typo"}[first])
    if last != "same":
        parts.append(f"last names {a.last} and {b.last} differ by " + ("two swapped letters" if last == "swap" else "a typo"))
    return points, "; ".join(parts)


def _email_spells(email: str, name: NameParts) -> float:
    """1.0 when the address is made of the name (bob.chen@, rchen@, chenr@), 0.5 when it holds the
    given name (benjamin1767@), else 0."""
    local = email.split("@", 1)[0]
    compact = "".join(ch for ch in local if ch.isalnum())
    last = name.last.replace(" ", "")
    firsts = name_variants(name.first) | {name.first}
    if any(compact in (f"{f}{last}", f"{last}{f}", f"{f[0]}{last}", f"{f}{last[0]}") for f in firsts) or (
        len(last) >= 4 and last in compact and any(f in compact for f in firsts)
    ):
        return 1.0
    letters = "".join(ch for ch in local if ch.isalpha())
    return 0.5 if any(len(f) >= 4 and letters.startswith(f) for f in firsts) else 0.0


@functools.lru_cache(maxsize=65536)  # the same few domains come back in every comparison
def _domain_label(domain: str) -> str:
    return "".join(ch for ch in domain.split(".")[0] if ch.isalnum())


@functools.lru_cache(maxsize=65536)
def _domain_is(domain: str, organization: str) -> bool:
    """Whether ``acme-robotics.example`` looks like the domain of ``acme robotics`` (normalised)."""
    label = _domain_label(domain)
    if len(label) < 3:
        return False
    compact = organization.replace(" ", "")
    if label == compact:
        return True
    short, long = (label, compact) if len(label) < len(compact) else (compact, label)
    # a prefix (acme-robotics.example and "acme"), but not one numbered name of another (studio19 and "studio 1")
    return long.startswith(short) and not (short[-1].isdigit() and long[len(short)].isdigit())


def _work_domains(profile: Profile) -> frozenset[str]:
    return _work_domains_of(frozenset(profile.emails))


@functools.lru_cache(maxsize=65536)
def _work_domains_of(emails: frozenset[str]) -> frozenset[str]:
    return frozenset(e.rsplit("@", 1)[-1] for e in emails) - FREE_MAIL


@functools.lru_cache(maxsize=65536)
def _personal_of(emails: frozenset[str]) -> frozenset[str]:
    """The addresses at a mail provider (``FREE_MAIL``): personal ones, not a workplace's."""
    return frozenset(e for e in emails if e.rsplit("@", 1)[-1] in FREE_MAIL)


def _at_organization(domains: frozenset[str], organizations: set[str]) -> bool:
    """Whether one of the work address ``domains`` is at one of ``organizations``."""
    return any(_domain_is(d, o) for d in domains for o in organizations)


def score(a: Profile, b: Profile, *, namesakes: int = 0) -> MatchScore:
    """How strongly ``a`` and ``b`` look like the same human.

    ``namesakes`` is how many *other* people in the workspace share the best-matching name and are
    known to be someone else than ``b`` (see ``graphsvc.identity.merging``).

    >>> a = Profile("p1", {NameParts("robert", "chen")}, {"acme"})
    >>> b = Profile("p2", {NameParts("bob", "chen")}, {"acme"})
    >>> found = score(a, b)
    >>> found.points, found.auto_merge
    (5.4, True)
    >>> found.reasons
    ('robert and bob are the same given name', 'nobody else has that name', 'same organization (acme)')
    """
    for kind in sorted(set(a.single_keys) & set(b.single_keys)):
        if not a.single_keys[kind] & b.single_keys[kind]:
            return MatchScore(0.0, (), conflict=f"different {kind} accounts")
    best, why = 0.0, ""
    for x in a.names:
        for y in b.names:
            points, reason = _name_points(x, y)
            if points > best:
                best, why = points, reason
    if best == 0.0:
        return MatchScore(0.0, ())
    points, reasons = best, [why]
    if namesakes == 0:
        points += 1.0
        reasons.append("nobody else has that name")
    elif namesakes >= 2:
        points -= 1.0
        reasons.append(f"{namesakes} others have that name")
    domains_a, domains_b = _work_domains(a), _work_domains(b)
    if a.organizations and b.organizations:
        if a.organizations & b.organizations:
            points += 2.0
            reasons.append(f"same organization ({sorted(a.organizations & b.organizations)[0]})")
        elif _at_organization(domains_a, b.organizations) or _at_organization(domains_b, a.organizations):
            points += 1.0  # another organization in one source, but a work address at the other's: a job change
            reasons.append("a work e-mail at the other's organization")
        elif from_address_book(a) or from_address_book(b):
            points -= DIFFERENT_ORGANIZATIONS_BOOK  # an address book's may be a former employer
            reasons.append("different organizations, one from an address book")
        else:
            points -= DIFFERENT_ORGANIZATIONS
            reasons.append("different organizations")
    personal_a, personal_b = _personal_of(frozenset(a.emails)), _personal_of(frozenset(b.emails))
    if personal_a and personal_b and personal_a.isdisjoint(personal_b):
        # Two personal addresses and none in common: most people give the one address they use
        # everywhere, while two namesakes always have two. Weaker than two work addresses (some
        # keep an old address besides a new one), but it stops a bare name match on its own.
        points -= 1.0
        reasons.append("different personal e-mail addresses")
    if domains_a and domains_b:
        # Two work addresses and none in common (else they would be one record already): a
        # company gives one person one address, so these are most likely two people.
        points -= 1.5
        reasons.append("different work e-mail addresses")
    elif not (a.organizations and b.organizations):
        # a work address on one side, an organization on the other (and nothing else to compare)
        for domains, organizations in ((domains_a, b.organizations), (domains_b, a.organizations)):
            if domains and organizations:
                if _at_organization(domains, organizations):
                    points += 1.5
                    reasons.append(f"a work e-mail at {sorted(organizations)[0]}")
                else:
                    points -= 1.5
                    reasons.append("a work e-mail at another organization")
                break
    # An address that spells the other's name bridges a nickname or a typo; with the very same
    # name on both sides it adds nothing.
    if best < 3.0:
        spelled = max(
            [_email_spells(e, n) for e in a.emails for n in b.names] + [_email_spells(e, n) for e in b.emails for n in a.names], default=0.0
        )
        if spelled:
            points += spelled
            reasons.append("an e-mail address spells the name" if spelled == 1.0 else "an e-mail address holds the given name")
    shared = a.contexts & b.contexts
    if shared:
        points += 1.0
        reasons.append("a shared event or acquaintance")
    middles = middles_differ(a, b)
    if middles:
        points -= APART
        reasons.append(f"different middle names ({middles})")
    elif agreed := middles_agree(a, b):
        # Both give a middle name or initial, and the same one: most names have none shown, and
        # namesakes seldom share one (one in twenty for an initial), so it is more than the name.
        points += MIDDLE_AGREES
        reasons.append(f"same middle name or initial ({agreed})")
    if same_list(a, b):
        points -= APART
        reasons.append("two rows of one list with different addresses")
    return MatchScore(points, tuple(reasons))

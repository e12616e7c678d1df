"""Which encoding a text export is in, decided by how plausible the decoded words are.

Real CSV exports come as UTF-8 (with or without a BOM), UTF-16 ("Unicode text" from Excel,
Teams; with a BOM or, rarely, without), or in the code page of the machine that saved them:
cp1252 (Excel on Western Windows), mac_roman (Excel on older Macs), cp1250 (Central Europe),
cp1254 (Turkish), ISO-8859-1/-15, and for DOS-era tools cp850/cp852.

A BOM decides. A UTF-16 file without one shows itself by its NUL bytes. Otherwise the words
that hold non-ASCII bytes are collected from the file (up to ``SCAN_BYTES``, and past an
all-ASCII stretch to the first non-ASCII byte) and decoded with every candidate; each decoding
is scored by how much it looks like names and words of European languages:

* rewarded: accented letters European languages use, more for common ones, and words whose
  accented letters all belong to one language's alphabet;
* penalised: undecodable bytes, C1 and other controls, symbols glued to letters (``Szabˇ``,
  ``Micha³``), capitals inside lowercase words (``MŸller``, ``RenŽ``), letters of other
  scripts (``Ω``, ``π``), consonant letters inside runs of four consonants (``Lefčvre``,
  ``Gršning``), and letter mixes no language writes (``Dvoøák``).

Valid multi-byte UTF-8 sequences almost never happen by chance in legacy code pages, so each
word that decodes as UTF-8 counts strongly for UTF-8: a UTF-8 file with a few bad bytes stays
UTF-8 (those rows are rejected by the table reader), and is never re-decoded as a code page.
Ties go to the more common encoding (``CANDIDATES`` order).

NUL bytes: a head (64 KiB) in which they are more than 1% of the bytes (and not UTF-16's
pattern) is binary, and the file is refused as not text; any other NUL, wherever it is, makes
its row rejected by the table reader.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO

from graphsvc.errors import ImportFailed

#: Tried in this order; a tie goes to the earlier one (the more common).
CANDIDATES = ("utf-8", "cp1252", "cp1250", "mac_roman", "cp1254", "iso-8859-15", "latin-1", "cp850", "cp852")
SCAN_BYTES = 8 * 1024 * 1024
CHUNK = 256 * 1024
HEAD = 64 * 1024
MAX_WORDS = 4000
#: Each distinct word that decodes as UTF-8 with a multi-byte sequence.
UTF8_WORD_BONUS = 10.0
#: Per distinct word: DOS code pages are rare in today's exports, so they need clearly better readings.
PRIOR_PER_WORD = {"cp850": -2.0, "cp852": -2.0}
#: Per language beyond the first needed to write every accented letter the decoding holds.
EXTRA_LANGUAGE_PENALTY = 1.5

_WORD = re.compile(rb"[A-Za-z0-9'\-\x80-\xff]+")
MAX_WORD_BYTES = 100  # longer runs are not names or words

#: Lowercase non-ASCII letters of each language's alphabet (names included).
LANGUAGES: dict[str, str] = {
    "french": "àâæçéèêëîïôœùûüÿ",
    "german": "äöüß",
    "spanish": "áéíñóúü",
    "portuguese": "áâãàçéêíóôõúü",
    "italian": "àèéìíîòóùú",
    "catalan": "àçéèíïòóúü",
    "dutch": "éëïóöü",
    "polish": "ąćęłńóśźż",
    "czech": "áčďéěíňóřšťúůýž",
    "slovak": "áäčďéíĺľňóôŕšťúýž",
    "hungarian": "áéíóöőúüű",
    "swedish": "åäöé",
    "norwegian_danish": "æøåéó",
    "finnish": "äöåšž",
    "estonian": "äöõüšž",
    "icelandic": "áðéíóúýþæö",
    "turkish": "çğıöşüâîû",
    "romanian": "ăâîșțşţ",
    "croatian_slovene": "čćđšž",
    "albanian": "çë",
    "lithuanian": "ąčęėįšųūž",
    "latvian": "āčēģīķļņšūž",
    "german_swiss_austrian": "äöüéèà",
}
_ALPHABET = set("".join(LANGUAGES.values()))
#: The accented letters most often seen in European names.
#: (õ, û, ì, ù, ò, ň, ŕ, ï, ď, đ, ţ are left out: they are where cp1252 and cp1250 read one byte as two
#: letters, and the rarer reading should not win a tie.)
COMMON = set("éèàüöäñçóáíúßøåłšžčřőşğıăâêôîãðæýþěůűąęśżćńțșë")
VOWELS = set("aeiouyAEIOUY") | {c for c in _ALPHABET if unicodedata.normalize("NFD", c)[0] in "aeiouy"} | set("æøœ")
#: Typographic characters that are normal next to words (quotes, dashes, currency, bullets).
TYPOGRAPHIC = set("’‘“”„‚–—…•«»‹›€£¥©®™°¿¡\u00a0·§")


@dataclass(frozen=True)
class EncodingChoice:
    encoding: str
    how: str  # "BOM", "override", "content", "ASCII"
    runner_up: str | None = None

    def describe(self) -> str:
        if self.how == "override":
            return f"{self.encoding} (--encoding)"
        if self.how == "BOM":
            return f"{self.encoding} (byte order mark)"
        if self.how == "ASCII":
            return "utf-8 (plain ASCII)"
        if self.how == "UTF-16 without BOM":
            return f"{self.encoding} (UTF-16 without a byte order mark)"
        return f"{self.encoding} (chosen by the plausibility of the decoded names" + (
            f"; next best {self.runner_up})" if self.runner_up else ")"
        )


def check_encoding(name: str) -> str:
    """``name`` as the user spelled it (lower-cased), or ``ImportFailed`` for an unknown encoding."""
    try:
        codecs.lookup(name.strip())
        return name.strip().lower()
    except LookupError:
        raise ImportFailed(
            f"unknown encoding {name!r} (try utf-8, utf-8-sig, utf-16, cp1252, mac_roman, cp1250, latin-1)"
        ) from None


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > len(sample) // 4 and even < odd // 8:
        return "utf-16-le"
    if even > len(sample) // 4 and odd < even // 8:
        return "utf-16-be"
    return None


def detect_encoding(stream: BinaryIO) -> EncodingChoice:
    """Read ``stream`` (from its start, within bounds) and choose its encoding."""
    head = stream.read(HEAD)
    bom = bom_encoding(head)
    if bom:
        return EncodingChoice(bom, "BOM")
    utf16 = _utf16_without_bom(head)
    if utf16:
        return EncodingChoice(utf16, "UTF-16 without BOM")
    if head.count(0) > max(8, len(head) // 100):
        raise ImportFailed("the file is not text (binary content: NUL bytes)")
    words = collect_words(head, stream)
    if not words:
        return EncodingChoice("utf-8", "ASCII")
    ranked = rank_encodings(words)
    return EncodingChoice(ranked[0][1], "content", ranked[1][1] if len(ranked) > 1 else None)


def collect_words(head: bytes, stream: BinaryIO) -> Counter[bytes]:
    """Non-ASCII words of the first ``SCAN_BYTES``; an all-ASCII stretch is skipped (quickly) up to
    the first non-ASCII byte, so a sheet whose first accent is deep in the file is still judged."""
    words: Counter[bytes] = Counter()
    chunk, carry, scanned = head, b"", 0
    while chunk:
        if not words and chunk.isascii():
            carry = chunk[-64:]
            chunk = stream.read(CHUNK)
            continue
        data = carry + chunk
        cut = max(data.rfind(b"\n"), data.rfind(b" "))
        if cut <= 0 or len(data) - cut > 4096:
            cut = len(data)
        body, carry = data[:cut], data[cut:]
        _add_words(words, body)
        scanned += len(chunk)
        if scanned >= SCAN_BYTES or len(words) >= MAX_WORDS:
            return words
        chunk = stream.read(CHUNK)
    _add_words(words, carry)
    return words


def _add_words(words: Counter[bytes], data: bytes) -> None:
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        for word in _WORD.findall(line):
            if word.isascii() or len(word) > MAX_WORD_BYTES or (len(words) >= MAX_WORDS and word not in words):
                continue
            words[word] += 1


def rank_encodings(words: Counter[bytes]) -> list[tuple[float, str]]:
    """Candidates best first, with their scores."""
    scores = []
    for order, encoding in enumerate(CANDIDATES):
        total = 0.0
        letters: set[str] = set()
        for word, count in words.items():
            weight = min(count, 3)
            text = word.decode(encoding, errors="replace")
            total += weight * word_score(text) + PRIOR_PER_WORD.get(encoding, 0.0)
            letters.update(c for c in text.lower() if c in _ALPHABET)
            if encoding == "utf-8" and "\ufffd" not in text:
                total += UTF8_WORD_BONUS
        total -= EXTRA_LANGUAGE_PENALTY * max(0, languages_needed(letters) - 1)
        scores.append((total, -order, encoding))
    scores.sort(reverse=True)
    return [(s, e) for s, _, e in scores]


def languages_needed(letters: set[str]) -> int:
    """How many languages' alphabets it takes to write ``letters`` (greedy cover)."""
    remaining, count = set(letters), 0
    while remaining:
        best = max(LANGUAGES.values(), key=lambda alphabet: len(remaining & set(alphabet)))
        if not remaining & set(best):
            break
        remaining -= set(best)
        count += 1
    return count


def word_score(text: str) -> float:
    """How plausible one decoded word is as (part of) a European name or word."""
    score = 0.0
    letters: set[str] = set()
    n = len(text)
    for i, c in enumerate(text):
        if c.isascii():
            continue
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < n else ""
        category = unicodedata.category(c)
        if c == "\ufffd":
            score -= 10
        elif category.startswith("C"):
            score -= 10
        elif category.startswith("L"):
            lower = c.lower()
            if lower in _ALPHABET:
                score += 3 if lower in COMMON else 1
                letters.add(lower)
            elif unicodedata.name(c, "").startswith("LATIN"):
                score -= 1
            else:
                score -= 6  # Greek, Cyrillic, ordinal indicators, ... inside Latin words
            if c.isupper() and prev.isalpha() and (prev.islower() or nxt.islower()):
                score -= 5  # a capital inside a word: "MŸller", "RenŽ", "JosÇ"
            if c.islower() and prev.isupper() and (i < 2 or text[i - 2].isupper()) and nxt.isupper():
                score -= 3  # a lowercase letter inside a capitalised word: "DVOøÁK"
            if lower not in VOWELS and _consonant_run(text, i) >= 4:
                score -= 4  # "Lefčvre", "Gršning"
            if prev and prev.isascii() and unicodedata.normalize("NFD", lower)[0] == prev.lower() and lower not in "ß":
                score -= 2  # "Jesśs": an accented letter doubling its own base letter
            if lower == "œ" and nxt.lower() not in ("u", "i", "e"):
                score -= 3
            score -= _context_penalty(lower, prev.lower(), nxt.lower())
            if lower == "ß" and (not prev or not prev.isalpha()):
                score -= 3
        elif c in TYPOGRAPHIC:
            if prev.isalpha() and nxt.isalpha() and c not in "’·":
                score -= 4
        else:
            # symbols and modifiers: ˇ ¨ ´ ¸ ¤ ¦ ± ² ³ ¹ ¼ × ÷ ∞ √ ◊ ‡ † ‰ ƒ, box drawing
            score -= 6 if (prev.isalpha() or nxt.isalpha()) else 3
            if "BOX DRAWINGS" in unicodedata.name(c, "") or "BLOCK" in unicodedata.name(c, ""):
                score -= 3
    if len(letters) >= 2:
        if any(letters <= set(alphabet) for alphabet in LANGUAGES.values()):
            score += 1
        else:
            score -= 4  # no language writes this mix: "Dvoøák", "Èerná"
    return score


def _context_penalty(c: str, prev: str, nxt: str) -> float:
    """Where a letter stands in the words of the languages that write it."""
    nxt_vowel = bool(nxt) and nxt in VOWELS
    nxt_consonant = nxt.isalpha() and not nxt_vowel
    if c == "ñ" and not nxt_vowel:
        return 3  # Spanish ñ is always followed by a vowel ("Kamiñski" is "Kamiński")
    if c == "ń" and nxt_vowel:
        return 3  # Polish writes "ni" before a vowel
    if c in "őű" and nxt_vowel:
        return 2  # "Simőes" is "Simões"
    if c == "ã" and nxt.isalpha() and nxt not in "oes":
        return 2  # Portuguese ã: "ão", "ãe", "ãs" ("Tãnase" is "Tănase")
    if c == "æ" and (nxt_vowel or (prev and prev in VOWELS)):
        return 2  # "Markoviæ" is "Marković"
    if c in "ìùò" and nxt_consonant and prev and prev not in VOWELS:
        return 1
    if c in "àèìòù" and not nxt and prev.isalpha():
        return -2  # Italian and Catalan end words on a grave accent: "Niccolò", "Solà"
    if c == "ø" and prev and prev in VOWELS:
        return 2  # "Kateøina" is "Kateřina"
    if c == "ê" and prev == "z":
        return 2  # Polish "Szczęsny", never French
    if c == "ð" and not prev:
        return 3  # no Icelandic word starts with ð ("Ðorðe" is "Đorđe")
    return 0


def _consonant_run(text: str, i: int) -> int:
    def consonant(ch: str) -> bool:
        return ch.isalpha() and ch.lower() not in VOWELS

    start = i
    while start > 0 and consonant(text[start - 1]):
        start -= 1
    end = i + 1
    while end < len(text) and consonant(text[end]):
        end += 1
    return end - start

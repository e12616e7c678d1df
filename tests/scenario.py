"""The hand-built warm-intro scenario of the walking skeleton, written as real export files.

The owner is connected on LinkedIn to A and B. A and the target attended a 10-person
workshop; B and the target an 800-person conference. A, B and the target appear in the
attendee lists by name, email and company only (no LinkedIn URL), with the company written
differently than on LinkedIn, so identity resolution has to match on name + organization.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

OWNER = "Olivia Okafor"
A = ("Ada", "Quinn", "Acme Robotics, Inc.", "ada-quinn-31a")
B = ("Bruno", "Silva", "Globex Corporation", "brunosilva")
TARGET = ("Tara", "Voss", "Initech", "tara.voss@initech.example")
AS_OF = "2026-11-01T00:00:00+00:00"

INTRO_QUERY = """
query Intro($to: String!, $asOf: DateTime) {
  introPaths(to: $to, asOf: $asOf) {
    status
    asOf
    target { id name organization title isMember }
    targetCount
    candidates { id name organization title isMember }
    singlePointOfFailure { id name organization title isMember }
    directTie { advice hop { ...HopFields } }
    paths {
      strength
      kind
      advice
      weakestLinkStrength
      hops { ...HopFields }
    }
  }
}

fragment HopFields on Hop {
  from { id name organization title isMember }
  to { id name organization title isMember }
  strength
  level
  isWeakest
  lastContact
  channels
  evidence { kind channel at contribution description event { id name startsAt size } }
}
"""


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_scenario(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    connections = folder / "Connections.csv"
    rows = [
        ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"],
        [A[0], A[1], f"https://www.linkedin.com/in/{A[3]}", "", A[2], "Robotics Lead", "14 Mar 2024"],
        [B[0], B[1], f"https://www.linkedin.com/in/{B[3]}", "", B[2], "Sales Director", "02 Nov 2023"],
        ["Cleo", "Park", "https://www.linkedin.com/in/cleo-park", "", "Umbrella", "CFO", "08 Feb 2025"],
        ["", "", "", "", "", "", "07 Jun 2026"],
    ]
    preamble = 'Notes:\r\n"When exporting your connection data, you may notice that some of the email addresses are missing."\r\n\r\n'
    connections.write_bytes(("\ufeff" + preamble + _csv(rows)).encode("utf-8"))

    workshop = folder / "workshop-attendees.csv"
    rows = [["Full Name", "Email", "Company", "Title"]]
    rows.append([f"{A[0]} {A[1]}", "ada@acme-robotics.example", "Acme Robotics", "Robotics Lead"])
    rows.append([f"{TARGET[0]} {TARGET[1]}", TARGET[3], TARGET[2], "CTO"])
    rows += [[f"Workshop Guest{i}", f"guest{i}@workshop.example", f"Studio {i}", "Engineer"] for i in range(8)]
    workshop.write_text(_csv(rows), encoding="utf-8")

    conference = folder / "conference-attendees.csv"
    rows = [["First Name", "Last Name", "Email", "Company"]]
    rows.append([B[0], B[1], "bruno.silva@globex.example", "Globex Corp."])
    rows.append([TARGET[0], TARGET[1], TARGET[3], TARGET[2]])
    rows += [[f"Delegate{i}", f"Number{i}", f"d{i}@conf.example", f"Company {i % 97}"] for i in range(798)]
    conference.write_text(_csv(rows), encoding="utf-8")
    return {"connections": connections, "workshop": workshop, "conference": conference}


IMPORT_ARGS = {
    "connections": ["--owner", OWNER],
    "workshop": ["--event-name", "Robotics Workshop", "--event-date", "2026-09-10", "--event-kind", "workshop"],
    "conference": ["--event-name", "Big Tech Summit", "--event-date", "2026-09-20", "--event-kind", "conference"],
}

"""The access impact report (what tools/impact.py prints): its model, verdict and three
renderings (text, Markdown for the pull request comment, JSON). Pure: no I/O.

Counts come first, then names, each list capped (`limit`) unless everyone is asked for.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from rules.provisioning_scope import CANNOT_TELL, GAINS, LOSES, NO_LONGER_MAINTAINED

NOBODY = 0
"""Exit status: nobody gains or loses Asana."""
SOMEONE = 2
"""Exit status: someone gains, loses or is no longer maintained."""
CANNOT = 1
"""Exit status: the tool could not tell (why is in the report)."""
GUARDRAIL = 3
"""Exit status: more people would lose Asana than the stack's maxAccessLoss allows, or whether
they would cannot be told while maxAccessLoss is set."""

KINDS = (LOSES, NO_LONGER_MAINTAINED, GAINS, CANNOT_TELL)
HEADINGS = {
    LOSES: "Lose Asana (their account is disabled)",
    NO_LONGER_MAINTAINED: "No longer maintained (their account is left as it is)",
    GAINS: "Gain Asana",
    CANNOT_TELL: "Cannot tell",
}
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Entry:
    """One user or group the change affects."""

    kind: str
    """"user" or "group"."""
    object_id: str
    name: str
    principal_name: str
    """A user's user principal name (empty for a group)."""
    reason: str


@dataclass(frozen=True)
class Side:
    """One side of the change, in the portal's words."""

    job: bool
    running: bool
    sync_all: bool
    user_filter: str
    groups: tuple[str, ...]
    users: int
    users_in_scope: int = 0

    def describe(self) -> str:
        if not self.job:
            return "no provisioning"
        status = "on" if self.running else "off (paused)"
        scope = "all users and groups" if self.sync_all else "assigned users and groups only"
        groups = ", ".join(self.groups) or "none"
        return (
            f"provisioning {status}; scope: {scope}; groups assigned: {groups}; users assigned "
            f"directly: {self.users}; user scoping filter: {self.user_filter}"
        )


@dataclass(frozen=True)
class Guardrail:
    """The stack's maxAccessLoss and what the change does to it."""

    max_access_loss: int | None
    losing: int
    undecided: int

    @property
    def exceeded(self) -> bool:
        return self.max_access_loss is not None and self.losing > self.max_access_loss

    @property
    def unverified(self) -> bool:
        """Set, not exceeded by who is known to lose, but it could be by who cannot be told."""
        limit = self.max_access_loss
        return limit is not None and not self.exceeded and self.losing + self.undecided > limit

    def describe(self) -> str:
        if self.max_access_loss is None:
            if self.losing:
                return (
                    f"warning: {self.losing} would lose Asana and maxAccessLoss is not set, so "
                    "nothing stops this change; set it to make the preview fail above a limit"
                )
            return "maxAccessLoss is not set"
        limit = self.max_access_loss
        if self.exceeded:
            return f"FAILED: {self.losing} would lose Asana; maxAccessLoss allows {limit}"
        if self.unverified:
            return (
                f"FAILED: {self.losing} would lose Asana and {self.undecided} cannot be told; "
                f"maxAccessLoss allows {limit}, so the limit cannot be shown to hold"
            )
        return f"passed: {self.losing} would lose Asana; maxAccessLoss allows {limit}"


@dataclass
class Report:
    stack: str
    now: Side
    after: Side
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    group_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    entries: dict[str, list[Entry]] = field(default_factory=lambda: {k: [] for k in KINDS})
    notes: list[str] = field(default_factory=list)
    """Where Microsoft is silent, for the clauses in use."""
    problems: list[str] = field(default_factory=list)
    """Why the tool could not tell (about the whole change, not one person)."""
    assigned_but_disabled: int = 0
    requests: int = 0
    limit: int | None = DEFAULT_LIMIT
    guardrail: Guardrail = field(default_factory=lambda: Guardrail(None, 0, 0))

    def add(self, entry: Entry, change_kind: str) -> None:
        tally = self.counts if entry.kind == "user" else self.group_counts
        tally[change_kind] += 1
        listed = self.entries[change_kind]
        if self.limit is None or len(listed) < self.limit:
            listed.append(entry)

    @property
    def affected(self) -> int:
        return sum(
            self.counts[k] + self.group_counts[k] for k in (LOSES, NO_LONGER_MAINTAINED, GAINS)
        )

    @property
    def undecided(self) -> int:
        return self.counts[CANNOT_TELL] + self.group_counts[CANNOT_TELL]

    @property
    def paused(self) -> bool:
        """After the change provisioning is off: nothing happens until it resumes."""
        return self.after.job and not self.after.running

    @property
    def status(self) -> int:
        guard = self.guardrail
        if guard.max_access_loss is not None and (
            guard.exceeded or guard.unverified or (self.problems and not self.affected)
        ):
            return GUARDRAIL
        if self.affected:
            return SOMEONE
        if self.undecided or self.problems:
            return CANNOT
        return NOBODY

    def headline(self) -> str:
        if self.problems and not self.affected and not self.undecided:
            return f"Access impact of stack {self.stack}: cannot tell"
        when = " when provisioning resumes" if self.paused else ""
        parts = [
            f"{self.counts[LOSES]} lose Asana{when}",
            f"{self.counts[GAINS]} gain Asana{when}",
        ]
        if self.counts[NO_LONGER_MAINTAINED]:
            parts.append(f"{self.counts[NO_LONGER_MAINTAINED]} no longer maintained")
        if self.undecided:
            parts.append(f"{self.undecided} cannot be told")
        if any(self.group_counts[k] for k in (LOSES, GAINS, NO_LONGER_MAINTAINED)):
            parts.append(
                f"groups: {self.group_counts[GAINS]} added, {self.group_counts[LOSES]} removed"
            )
        if not self.affected and not self.undecided:
            return f"Access impact of stack {self.stack}: nobody gains or loses Asana"
        return f"Access impact of stack {self.stack}: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            "headline": self.headline(),
            "now": asdict(self.now),
            "after": asdict(self.after),
            "paused": self.paused,
            "users": dict(self.counts),
            "groups": dict(self.group_counts),
            "assignedButDisabled": self.assigned_but_disabled,
            "listed": {k: [asdict(e) for e in v] for k, v in self.entries.items()},
            "complete": self.limit is None
            or all(len(self.entries[k]) == self.counts[k] + self.group_counts[k] for k in KINDS),
            "notes": self.notes,
            "problems": self.problems,
            "guardrail": {
                "maxAccessLoss": self.guardrail.max_access_loss,
                "losing": self.guardrail.losing,
                "undecided": self.guardrail.undecided,
                "exceeded": self.guardrail.exceeded,
                "unverified": self.guardrail.unverified,
                "verdict": self.guardrail.describe(),
            },
            "requests": self.requests,
        }


def _who(entry: Entry) -> str:
    if entry.kind == "group":
        return f"group {entry.name}"
    return f"{entry.name} <{entry.principal_name}>" if entry.principal_name else entry.name


def _more(report: Report, kind: str) -> int:
    return report.counts[kind] + report.group_counts[kind] - len(report.entries[kind])


def render_text(report: Report) -> str:
    lines = [report.headline(), ""]
    lines.append(f"  now:   {report.now.describe()}")
    lines.append(f"  after: {report.after.describe()}")
    if report.paused:
        lines.append(
            "  Provisioning is off after this change: it is a pause, nobody loses an account "
            "while it is off; the lists say what happens when it is turned on again."
        )
    if report.assigned_but_disabled:
        lines.append(
            f"  {report.assigned_but_disabled} assigned after the change have a disabled account "
            "and get no active Asana account"
        )
    for kind in KINDS:
        total = report.counts[kind] + report.group_counts[kind]
        if not total:
            continue
        lines += ["", f"{HEADINGS[kind]}: {total}"]
        lines += [f"  {_who(e)}: {e.reason}" for e in report.entries[kind]]
        if (more := _more(report, kind)) > 0:
            lines.append(f"  … and {more} more (--all lists everyone)")
    if report.problems:
        lines += ["", "Could not tell:"] + [f"  {p}" for p in report.problems]
    if report.notes:
        lines += ["", "Where Microsoft is silent:"] + [f"  {n}" for n in report.notes]
    lines += ["", f"Guardrail: {report.guardrail.describe()}"]
    lines.append(f"({report.requests} Graph requests)")
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """For the pull request: one line when nobody is affected, else counts, then names."""
    if report.status == NOBODY:
        return f"**{_md(report.headline())}.**\n"
    lines = [f"**{_md(report.headline())}**", ""]
    lines.append(f"- now: {_md(report.now.describe())}")
    lines.append(f"- after: {_md(report.after.describe())}")
    if report.paused:
        lines.append("- provisioning is **off** after this change: a pause; the lists are what "
                     "happens when it is turned on again")  # fmt: skip
    lines.append(f"- guardrail: {_md(report.guardrail.describe())}")
    for kind in KINDS:
        total = report.counts[kind] + report.group_counts[kind]
        if not total:
            continue
        lines += ["", f"<details><summary>{HEADINGS[kind]}: {total}</summary>", ""]
        lines += [f"- {_md(_who(e))}: {_md(e.reason)}" for e in report.entries[kind]]
        if (more := _more(report, kind)) > 0:
            lines.append(f"- … and {more} more (`make impact STACK={report.stack}` with `--all`)")
        lines += ["", "</details>"]
    if report.problems:
        lines += ["", "**Could not tell:**"] + [f"- {_md(p)}" for p in report.problems]
    if report.notes:
        lines += ["", "Where Microsoft is silent:"] + [f"- {_md(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


def _md(text: str) -> str:
    """Text safe in Markdown: no HTML, no table or emphasis characters taking effect."""
    for char in "\\`*_<>|[]":
        text = text.replace(char, "\\" + char)
    return text

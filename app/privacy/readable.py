"""The data export as a person reads it: codes in words, dates in their language and in Europe/Berlin.

`services.personal_data` stays plain data for the JSON file; this turns each of its fields into text, by the
field's name, for the "My data" page.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_LABELS, LanguageLevel, Role
from app.dialogs.models import ModeratorRole
from app.i18n import language_name
from app.places.models import MembershipStatus
from app.proposals.models import ProposalState
from app.proposals.services import money
from app.shifts.models import Attendance, SignupStatus

# The names of the fields, as the page shows them (the JSON file keeps the keys).
DATA_LABELS = {
    "name": _l("Name"),
    "email": _l("E-mail address"),
    "interface_language": _l("Interface language"),
    "registered_at": _l("Registered"),
    "privacy_consent_at": _l("Agreed to the privacy notice"),
    "last_login_at": _l("Last signed in"),
    "role": _l("Role"),
    "circle": _l("Circle"),
    "since": _l("Since"),
    "code": _l("Language"),
    "level": _l("Level"),
    "status": _l("Status"),
    "requested_at": _l("Asked on"),
    "decided_at": _l("Decided on"),
    "seen_on": _l("Certificate seen on"),
    "valid_until": _l("Valid until"),
    "recorded_at": _l("Recorded on"),
    "shift": _l("Shift"),
    "starts_at": _l("Start"),
    "ends_at": _l("End"),
    "attendance": _l("Attendance"),
    "hours": _l("Hours"),
    "cancelled_at": _l("Cancelled on"),
    "dialog": _l("Dialog"),
    "language": _l("Language"),
    "as": _l("As"),
    "written_at": _l("Written on"),
    "refugees": _l("Refugees"),
    "volunteers": _l("Volunteers"),
    "staff": _l("Staff"),
    "summary": _l("Summary"),
    "title": _l("Title"),
    "state": _l("State"),
    "programme": _l("Programme"),
    "district": _l("District"),
    "goals": _l("Goals"),
    "target_group": _l("Target group"),
    "group": _l("The group behind the project"),
    "contact": _l("Contact"),
    "requested_cents": _l("Amount requested"),
    "granted_cents": _l("Granted"),
    "budget_lines": _l("Budget"),
    "attachments": _l("Attachments"),
    "timeline": _l("Timeline"),
    "created_at": _l("Created on"),
    "revoked_at": _l("Revoked on"),
}

SEAT_LABELS = {"interpreter": ROLE_LABELS[Role.INTERPRETER], "shadow": _l("Shadowing (in training)")}

# What the applicant sees of a proposal's timeline besides its transitions (internal events are not exported).
EVENT_LABELS = {"message": _l("Message to the applicant"), "grant_change": _l("Grant changed")}


def _moment(value: str) -> str:
    return format_datetime(datetime.fromisoformat(value), "short")


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value), "medium")


def _number(value: int | str) -> str:
    return format_decimal(Decimal(value))


def _label(codes: type[enum.Enum]) -> Callable[[str], str]:
    """A code of one of the models' enums, in the words the rest of Lotse uses for it."""
    return lambda code: codes(code).label


def _budget_line(line: dict) -> tuple[str, ...]:
    return line["item"], money(line["amount_cents"])


def _event(event: dict) -> tuple[str, ...]:
    if event["kind"] == "transition":
        to = ProposalState(event["to"]).label
        what = _("%(from)s → %(to)s", **{"from": ProposalState(event["from"]).label, "to": to}) if event["from"] else to
    else:
        what = str(EVENT_LABELS.get(event["kind"], event["kind"]))
    return tuple(part for part in (_moment(event["at"]), what, event["note"]) if part)


FIELD_FORMATS: dict[str, Callable] = {
    "interface_language": language_name,
    "code": language_name,
    "language": language_name,
    "level": _label(LanguageLevel),
    "attendance": _label(Attendance),
    "state": _label(ProposalState),
    "as": lambda seat: str(SEAT_LABELS[seat]),
    "hours": _number,
    "refugees": _number,
    "volunteers": _number,
    "staff": _number,
    "requested_cents": money,
    "granted_cents": money,
    "budget_lines": lambda lines: [_budget_line(line) for line in lines],
    "attachments": lambda names: [(name,) for name in names],
    "timeline": lambda events: [_event(event) for event in events],
    "seen_on": _day,
    "valid_until": _day,
    **dict.fromkeys(
        (
            "registered_at",
            "privacy_consent_at",
            "last_login_at",
            "since",
            "requested_at",
            "decided_at",
            "recorded_at",
            "starts_at",
            "ends_at",
            "cancelled_at",
            "written_at",
            "created_at",
            "revoked_at",
        ),
        _moment,
    ),
}

# A few keys mean a different thing in each section they stand in.
SECTION_FORMATS: dict[tuple[str, str], Callable] = {
    ("roles", "role"): _label(Role),
    ("dialog_moderations", "role"): _label(ModeratorRole),
    ("circle_memberships", "status"): _label(MembershipStatus),
    ("shift_signups", "status"): _label(SignupStatus),
}


# Fields that only some records of a section have: a role is held in a circle or city-wide, and a city-wide role's
# "Circle: –" would read as if one were missing.
ONLY_WHEN_SET = {("roles", "circle")}

Readable = str | list[tuple[str, ...]]


def readable_value(section: str, key: str, value) -> Readable | None:
    """One field as the person reads it (None: nothing there); a list (budget, timeline) becomes lines of parts."""
    if value is None or value == "" or value == []:
        return None
    return (SECTION_FORMATS.get((section, key)) or FIELD_FORMATS.get(key, str))(value)


def readable_data(data: dict) -> dict[str, list[list[tuple[str, Readable | None]]]]:
    """`personal_data` for the page: per section, its records, each a list of (label, readable value)."""
    sections = {}
    for section, content in data.items():
        records = content if isinstance(content, list) else [content] if content else []
        sections[section] = [
            [
                (str(DATA_LABELS[key]), readable_value(section, key, value))
                for key, value in record.items()
                if value is not None or (section, key) not in ONLY_WHEN_SET
            ]
            for record in records
        ]
    return sections

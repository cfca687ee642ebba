"""Demo data: a believable slice of a city, and one account per role. Never for production."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.auth.models import LanguageLevel, Role, RoleGrant, User, UserLanguage
from app.database import utcnow
from app.extensions import db
from app.passwords import hash_password
from app.places.models import (
    Accommodation,
    AccommodationKind,
    Circle,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
)
from app.places.services import seed_districts

ACCOMMODATIONS = [
    # name, district, kind, planned places, address
    ("GU Hallschlag", "Bad Cannstatt", AccommodationKind.REGULAR, 156, "Am Römerkastell 12"),
    ("GU Neckarpark", "Bad Cannstatt", AccommodationKind.REGULAR, 240, "Mercedesstraße 40"),
    ("GU Wiener Straße", "Feuerbach", AccommodationKind.REGULAR, 120, "Wiener Straße 155"),
    ("GU Sigmaringer Straße", "Möhringen", AccommodationKind.REGULAR, 152, "Sigmaringer Straße 38"),
    ("Notunterkunft Messehalle", "Vaihingen", AccommodationKind.EMERGENCY, 420, "Industriestraße 8"),
    ("GU Kirchtalstraße", "Zuffenhausen", AccommodationKind.REGULAR, 88, "Kirchtalstraße 22"),
    ("GU Hofäckerstraße", "Degerloch", AccommodationKind.REGULAR, 104, "Hofäckerstraße 5"),
    ("GU Burgholzhof", "Bad Cannstatt", AccommodationKind.REGULAR, 96, "Tapachstraße 61"),
]

CIRCLES = [
    (
        "Freundeskreis Bad Cannstatt",
        "Bad Cannstatt",
        ["GU Hallschlag", "GU Neckarpark", "GU Burgholzhof"],
        "Hausaufgabenhilfe, Sprachcafé und Begleitung zu Ämtern in den Unterkünften am Neckar.",
    ),
    (
        "Freundeskreis Feuerbach",
        "Feuerbach",
        ["GU Wiener Straße"],
        "Sport, Fahrradwerkstatt und Kinderbetreuung in der Wiener Straße.",
    ),
    (
        "Freundeskreis Möhringen",
        "Möhringen",
        ["GU Sigmaringer Straße"],
        "Sprachcafé und Nachhilfe, Patenschaften für Familien.",
    ),
    (
        "Freundeskreis Vaihingen",
        "Vaihingen",
        ["Notunterkunft Messehalle"],
        "Erstorientierung in der Notunterkunft, Kleiderkammer und Spielnachmittage.",
    ),
    ("Freundeskreis Zuffenhausen", "Zuffenhausen", ["GU Kirchtalstraße"], "Begleitung zu Ämtern und Ärzten."),
]

ACCOUNTS = [
    # e-mail, name, locale, roles (role, circle name or None), languages
    ("admin@lotse.example", "Aylin Admin", "de", [(Role.ADMIN, None)], [("de", LanguageLevel.NATIVE)]),
    (
        "staff@lotse.example",
        "Sabine Staff",
        "de",
        [(Role.STAFF, None)],
        [("de", LanguageLevel.NATIVE), ("en", LanguageLevel.FLUENT)],
    ),
    (
        "coordinator@lotse.example",
        "Karl Koordinator",
        "de",
        [(Role.VOLUNTEER, None), (Role.COORDINATOR, "Freundeskreis Bad Cannstatt")],
        [("de", LanguageLevel.NATIVE)],
    ),
    (
        "moderator@lotse.example",
        "Mona Moderatorin",
        "de",
        [(Role.MODERATOR, None)],
        [("de", LanguageLevel.NATIVE), ("fr", LanguageLevel.WORKING)],
    ),
    (
        "interpreter@lotse.example",
        "Idris Dolmetscher",
        "ar",
        [(Role.VOLUNTEER, None), (Role.INTERPRETER, None)],
        [("ar", LanguageLevel.NATIVE), ("de", LanguageLevel.FLUENT), ("fa", LanguageLevel.WORKING)],
    ),
    (
        "volunteer@lotse.example",
        "Vera Volunteer",
        "de",
        [(Role.VOLUNTEER, None)],
        [("de", LanguageLevel.NATIVE), ("en", LanguageLevel.FLUENT), ("uk", LanguageLevel.BASIC)],
    ),
    (
        "olena@lotse.example",
        "Olena Kovalenko",
        "uk",
        [(Role.VOLUNTEER, None)],
        [("uk", LanguageLevel.NATIVE), ("ru", LanguageLevel.FLUENT), ("de", LanguageLevel.WORKING)],
    ),
    (
        "mehmet@lotse.example",
        "Mehmet Yılmaz",
        "tr",
        [(Role.VOLUNTEER, None)],
        [("tr", LanguageLevel.NATIVE), ("de", LanguageLevel.FLUENT)],
    ),
]

MEMBERS = [
    ("coordinator@lotse.example", "Freundeskreis Bad Cannstatt", MembershipStatus.ACTIVE),
    ("volunteer@lotse.example", "Freundeskreis Bad Cannstatt", MembershipStatus.ACTIVE),
    ("interpreter@lotse.example", "Freundeskreis Bad Cannstatt", MembershipStatus.ACTIVE),
    ("olena@lotse.example", "Freundeskreis Bad Cannstatt", MembershipStatus.PENDING),
    ("mehmet@lotse.example", "Freundeskreis Feuerbach", MembershipStatus.ACTIVE),
    ("mehmet@lotse.example", "Freundeskreis Bad Cannstatt", MembershipStatus.PENDING),
]


def seed_demo(password: str) -> None:
    """Add the demo city; running it twice adds nothing twice."""
    seed_districts()
    districts = {d.name: d for d in db.session.scalars(select(District))}
    accommodations = {a.name: a for a in db.session.scalars(select(Accommodation))}
    for name, district, kind, places, address in ACCOMMODATIONS:
        if name not in accommodations:
            accommodations[name] = Accommodation(
                name=name, district=districts[district], kind=kind, planned_places=places, address=address
            )
            db.session.add(accommodations[name])
    circles = {c.name: c for c in db.session.scalars(select(Circle))}
    for name, district, served, description in CIRCLES:
        if name not in circles:
            circles[name] = Circle(
                name=name,
                district=districts[district],
                accommodations=[accommodations[a] for a in served],
                description=description,
            )
            db.session.add(circles[name])
    db.session.flush()

    password_hash = hash_password(password)
    users = {u.email: u for u in db.session.scalars(select(User))}
    for email, name, locale, roles, languages in ACCOUNTS:
        if email in users:
            continue
        user = User(email=email, name=name, locale=locale, password_hash=password_hash)
        user.role_grants = [RoleGrant(role=role, circle=circles[c] if c else None) for role, c in roles]
        user.languages = [UserLanguage(code=code, level=level) for code, level in languages]
        db.session.add(user)
        users[email] = user
    db.session.flush()

    existing = {(m.user_id, m.circle_id) for m in db.session.scalars(select(CircleMembership))}
    for email, circle_name, status in MEMBERS:
        user, circle = users[email], circles[circle_name]
        if (user.id, circle.id) not in existing:
            db.session.add(CircleMembership(user=user, circle=circle, status=status))
    if not db.session.scalar(select(VettingRecord).where(VettingRecord.user_id == users["volunteer@lotse.example"].id)):
        today = date.today()
        db.session.add(
            VettingRecord(
                user=users["volunteer@lotse.example"],
                circle=circles["Freundeskreis Bad Cannstatt"],
                seen_on=today - timedelta(days=40),
                valid_until=today - timedelta(days=40) + timedelta(days=365 * 3),
                recorded_by=users["coordinator@lotse.example"],
            )
        )
    db.session.flush()
    seed_demo_shifts()
    seed_demo_dialogs()
    seed_demo_proposals()
    seed_demo_populations()


DEMO_SHIFTS = [
    # circle, title, activity (German name), accommodation, weekday(s), start, end, capacity, extras
    (
        "Freundeskreis Bad Cannstatt",
        "Hausaufgabenhilfe Grundschule",
        "Hausaufgabenhilfe",
        "GU Hallschlag",
        [1, 3],
        "16:00",
        "18:00",
        4,
        {"requires_vetting": True},
    ),
    (
        "Freundeskreis Bad Cannstatt",
        "Sprachcafé am Neckar",
        "Sprachcafé",
        "GU Neckarpark",
        [4],
        "17:00",
        "19:00",
        6,
        {"open_to_all": True},
    ),
    (
        "Freundeskreis Bad Cannstatt",
        "Spielenachmittag für Kinder",
        "Kinderbetreuung",
        "GU Burgholzhof",
        [2],
        "15:00",
        "17:00",
        3,
        {"requires_vetting": True},
    ),
    (
        "Freundeskreis Feuerbach",
        "Fahrradwerkstatt",
        "Fahrradwerkstatt",
        "GU Wiener Straße",
        [5],
        "10:00",
        "13:00",
        3,
        {"open_to_all": True},
    ),
    (
        "Freundeskreis Möhringen",
        "Fußball auf dem Bolzplatz",
        "Sport",
        "GU Sigmaringer Straße",
        [2],
        "16:30",
        "18:00",
        2,
        {"open_to_all": True},
    ),
]


def seed_demo_shifts(weeks: int = 4) -> None:
    """Weekly series for the coming weeks, some sign-ups and a full shift with a waitlist."""
    from datetime import time as clock

    from app.shifts.models import ActivityType, Attendance, Shift, Signup, SignupStatus
    from app.shifts.services import ShiftDetails, create_series, seed_activity_types

    seed_activity_types()
    if db.session.scalar(select(Shift.id).limit(1)) is not None:
        return
    activities = {a.name: a for a in db.session.scalars(select(ActivityType))}
    circles = {c.name: c for c in db.session.scalars(select(Circle))}
    accommodations = {a.name: a for a in db.session.scalars(select(Accommodation))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    coordinator = users["coordinator@lotse.example"]
    today = date.today()
    for circle, title, activity, place, weekdays, start, end, capacity, extras in DEMO_SHIFTS:
        details = ShiftDetails(
            title=title,
            activity_type=activities[activity],
            accommodation_id=accommodations[place].id,
            place_text="",
            start=clock.fromisoformat(start),
            end=clock.fromisoformat(end),
            capacity=capacity,
            description="Bitte 10 Minuten vorher da sein. Ansprechpartner vor Ort: Hausmeister.",
            **extras,
        )
        create_series(
            coordinator,
            circles[circle],
            details,
            first=today + timedelta(days=1),
            until=today + timedelta(weeks=weeks),
            weekdays=weekdays,
            interval=1,
        )
    accompaniment = ShiftDetails(
        title="Begleitung zur Ausländerbehörde",
        activity_type=activities["Begleitung zu Behörden"],
        accommodation_id=None,
        place_text="Eberhardstraße 39, 70173 Stuttgart",
        start=clock(9, 0),
        end=clock(11, 30),
        capacity=1,
        required_language="ar",
    )
    from app.shifts.services import create_shift

    create_shift(coordinator, circles["Freundeskreis Bad Cannstatt"], today + timedelta(days=3), accompaniment)
    db.session.flush()
    volunteer, interpreter = users["volunteer@lotse.example"], users["interpreter@lotse.example"]
    shifts = db.session.scalars(select(Shift).order_by(Shift.starts_at)).all()
    cafe = [s for s in shifts if s.title == "Sprachcafé am Neckar"]
    homework = [s for s in shifts if s.title == "Hausaufgabenhilfe Grundschule"]
    now = utcnow()
    for shift in cafe[:2]:
        db.session.add(Signup(shift=shift, user=volunteer, status=SignupStatus.CONFIRMED, confirmed_at=now))
    if homework:
        db.session.add(Signup(shift=homework[0], user=volunteer, status=SignupStatus.CONFIRMED, confirmed_at=now))
    # Two past weeks of the language café, with attendance recorded: hours show in "My shifts".
    for weeks_ago in (1, 2):
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(weeks=weeks_ago)
        past = Shift(
            circle=circles["Freundeskreis Bad Cannstatt"],
            title="Sprachcafé am Neckar",
            activity_type=activities["Sprachcafé"],
            accommodation=accommodations["GU Neckarpark"],
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=6,
            created_by_id=coordinator.id,
        )
        db.session.add(past)
        db.session.add(
            Signup(
                shift=past,
                user=volunteer,
                status=SignupStatus.CONFIRMED,
                confirmed_at=start,
                attendance=Attendance.ATTENDED,
                hours=past.duration_hours,
                attendance_recorded_by_id=coordinator.id,
            )
        )
    accompaniment_shift = next(s for s in shifts if s.title == "Begleitung zur Ausländerbehörde")
    db.session.add(Signup(shift=accompaniment_shift, user=interpreter, status=SignupStatus.CONFIRMED, confirmed_at=now))
    db.session.flush()


def seed_demo_dialogs() -> None:
    """Dialogs held and logged, one held without a log, and coming ones partly covered by interpreters."""
    from datetime import time as clock

    from app.dialogs.models import (
        Dialog,
        DialogLanguage,
        DialogModerator,
        FollowUp,
        InterpreterRequest,
        ModeratorRole,
        RequestStatus,
        SessionLog,
        SessionLogLanguage,
        SessionLogTag,
        Topic,
    )
    from app.dialogs.services import seed_topics
    from app.shifts.services import local_to_utc

    seed_topics()
    if db.session.scalar(select(Dialog.id).limit(1)) is not None:
        return
    users = {u.email: u for u in db.session.scalars(select(User))}
    accommodations = {a.name: a for a in db.session.scalars(select(Accommodation))}
    topics = {t.name: t for t in db.session.scalars(select(Topic))}
    moderator, interpreter = users["moderator@lotse.example"], users["interpreter@lotse.example"]
    today = date.today()

    def dialog(days: int, place: str, topic: str, codes: list[str], expected: int) -> Dialog:
        day = today + timedelta(days=days)
        item = Dialog(
            accommodation=accommodations[place],
            starts_at=local_to_utc(datetime.combine(day, clock(17, 0))),
            ends_at=local_to_utc(datetime.combine(day, clock(19, 0))),
            topic=topic,
            expected_participants=expected,
            created_by_id=moderator.id,
        )
        item.moderators = [DialogModerator(user=moderator, role=ModeratorRole.LEAD)]
        item.languages = [DialogLanguage(code=code) for code in codes]
        db.session.add(item)
        return item

    held = dialog(-14, "GU Neckarpark", "Zusammenleben im Haus", ["ar", "fa"], 25)
    held.languages[0].interpreter = interpreter
    log = SessionLog(
        dialog=held,
        idempotency_key="demo-log-neckarpark",
        payload_digest="0" * 64,
        refugees=21,
        volunteers=4,
        staff=2,
        started_at=held.starts_at,
        ended_at=held.ends_at - timedelta(minutes=10),
        summary="Fragen zur Mülltrennung, zum WLAN im Gemeinschaftsraum und zu Ruhezeiten am Abend. "
        "Die Heimleitung erklärt die Hausordnung beim nächsten Treffen noch einmal in Ruhe.",
        written_by=moderator,
    )
    log.languages = [SessionLogLanguage(code=code) for code in ("ar", "de", "fa")]
    log.topics = [topics["Wohnen"], topics["Zusammenleben in der Unterkunft"]]
    log.tags = [SessionLogTag(tag="Mülltrennung"), SessionLogTag(tag="WLAN")]
    log.follow_ups = [
        FollowUp(
            what="Aushang zur Mülltrennung in fünf Sprachen",
            responsible="Heimleitung",
            due_on=today - timedelta(days=3),
        ),
        FollowUp(
            what="WLAN-Router im Gemeinschaftsraum prüfen lassen",
            responsible="Hausmeister",
            due_on=today - timedelta(days=7),
            done_at=utcnow(),
            done_by_id=moderator.id,
        ),
    ]
    db.session.add(log)
    dialog(-3, "GU Hallschlag", "Kita und Schule", ["ar", "ps"], 15)
    coming = dialog(5, "GU Burgholzhof", "Arbeit und Ausbildung", ["ar", "fa", "ti"], 30)
    coming.languages[0].interpreter = interpreter
    coming.languages[0].accepted_at = utcnow()
    coming.languages[1].open_since = utcnow()
    later = dialog(12, "GU Wiener Straße", "Gesundheit und Arztbesuche", ["ar", "uk"], 20)
    later.languages[0].requests = [
        InterpreterRequest(interpreter=interpreter, status=RequestStatus.ASKED, asked_by_id=moderator.id)
    ]
    db.session.flush()


DEMO_PROPOSALS = [
    # title, district, applicant, group, state, requested lines, granted
    (
        "Nähwerkstatt für Frauen",
        "Bad Cannstatt",
        "volunteer",
        "Frauengruppe Hallschlag",
        "draft",
        [("Nähmaschinen (3 Stück)", 45000), ("Stoffe und Garn", 15000)],
        None,
    ),
    (
        "Fahrradkurs für Erwachsene",
        "Feuerbach",
        "volunteer",
        "Freundeskreis Feuerbach",
        "submitted",
        [("Leihfahrräder und Helme", 80000), ("Übungsplatz-Miete", 20000)],
        None,
    ),
    (
        "Kochabende: Küchen der Welt",
        "Bad Cannstatt",
        "interpreter",
        "Syrischer Kulturverein",
        "in_review",
        [("Lebensmittel", 60000), ("Raummiete Gemeindehaus", 30000)],
        None,
    ),
    (
        "Theaterprojekt mit Jugendlichen",
        "Möhringen",
        "olena",
        "Jugendtheater Möhringen",
        "changes_requested",
        [("Honorar Theaterpädagogin", 180000), ("Kostüme", 40000)],
        None,
    ),
    (
        "Gemeinschaftsgarten am Neckarpark",
        "Bad Cannstatt",
        "volunteer",
        "Gartengruppe Neckarpark",
        "resubmitted",
        [("Hochbeete und Erde", 90000), ("Werkzeug", 25000)],
        None,
    ),
    (
        "Elterncafé mit Kinderbetreuung",
        "Bad Cannstatt",
        "mehmet",
        "Elterninitiative Burgholzhof",
        "approved",
        [("Kinderbetreuung (Honorar)", 120000), ("Getränke und Snacks", 30000)],
        130000,
    ),
    (
        "Fotoausstellung: Ankommen in Stuttgart",
        "Mitte",
        "interpreter",
        "Fotogruppe Perspektiven",
        "rejected",
        [("Druck und Rahmen", 250000)],
        None,
    ),
    (
        "Fußballturnier der Unterkünfte",
        "Möhringen",
        "volunteer",
        "Freundeskreis Möhringen",
        "running",
        [("Trikots", 70000), ("Platzmiete und Pokale", 30000)],
        90000,
    ),
    (
        "Deutsch-Lernpaten im Stadtteil",
        "Feuerbach",
        "olena",
        "Lernpaten Feuerbach",
        "reported",
        [("Lernmaterial", 40000), ("Fahrtkosten", 20000)],
        60000,
    ),
    (
        "Sommerfest der Kulturen",
        "Bad Cannstatt",
        "mehmet",
        "Nachbarschaftsverein Hallschlag",
        "closed",
        [("Bühne und Technik", 100000), ("Verpflegung", 50000)],
        150000,
    ),
    (
        "Computerkurs für Seniorinnen",
        "Vaihingen",
        "volunteer",
        "Digitalpaten Vaihingen",
        "withdrawn",
        [("Laptops (Leihe)", 60000)],
        None,
    ),
]

# The path of each state through the lifecycle, to record a believable timeline.
_PATHS = {
    "draft": [],
    "submitted": ["submitted"],
    "in_review": ["submitted", "in_review"],
    "changes_requested": ["submitted", "in_review", "changes_requested"],
    "resubmitted": ["submitted", "in_review", "changes_requested", "resubmitted"],
    "approved": ["submitted", "in_review", "approved"],
    "rejected": ["submitted", "in_review", "rejected"],
    "running": ["submitted", "in_review", "approved", "running"],
    "reported": ["submitted", "in_review", "approved", "running", "reported"],
    "closed": ["submitted", "in_review", "approved", "running", "reported", "closed"],
    "withdrawn": ["submitted", "withdrawn"],
}

_NOTES = {
    "changes_requested": "Bitte den Honoraransatz begründen und einen Zeitplan für die Proben ergänzen.",
    "rejected": "Die Ausstellung ist in diesem Programm nicht förderfähig, weil sie schon anderweitig finanziert ist.",
    "approved": "Wir freuen uns auf das Projekt.",
    "closed": "Danke für den ausführlichen Bericht!",
}


def seed_demo_proposals() -> None:
    """A programme of this year with a district share, and one proposal in every state of the lifecycle."""
    from app.proposals.models import (
        BudgetLine,
        DistrictBudget,
        EventKind,
        FundingProgramme,
        ProgrammeName,
        Proposal,
        ProposalEvent,
        ProposalState,
    )

    if db.session.scalar(select(FundingProgramme).limit(1)) is not None:
        return
    today = date.today()
    districts = {d.name: d for d in db.session.scalars(select(District))}
    users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    staff = users["staff"]
    programme = FundingProgramme(
        name=f"Empowerment {today.year}",
        year=today.year,
        budget_cents=6_000_000,
        opens_on=today - timedelta(days=90),
        closes_on=today + timedelta(days=60),
        rules=(
            "Gefördert werden Projekte, die Geflüchtete selbst tragen oder mitgestalten.\n"
            "Bis 2.500 € je Projekt; Abschlussbericht mit Belegen bis acht Wochen nach Projektende."
        ),
        names=[
            ProgrammeName(locale="en", name=f"Empowerment {today.year}"),
            ProgrammeName(locale="tr", name=f"Güçlendirme {today.year}"),
            ProgrammeName(locale="ar", name=f"التمكين {today.year}"),
        ],
        district_budgets=[DistrictBudget(district=districts["Bad Cannstatt"], budget_cents=1_500_000)],
    )
    db.session.add(programme)
    for index, (title, district, applicant, group, state, lines, granted) in enumerate(DEMO_PROPOSALS):
        started = utcnow() - timedelta(days=60 - index * 4)
        proposal = Proposal(
            programme=programme,
            district=districts[district],
            applicant=users[applicant],
            title=title,
            summary=f"{title}: ein Angebot, das die Beteiligten selbst planen und durchführen.",
            goals="Begegnung, Selbstständigkeit und neue Kontakte im Stadtteil.",
            target_group="Bewohnerinnen und Bewohner der Unterkünfte und Nachbarschaft",
            group_name=group,
            contact=f"{users[applicant].name}, {users[applicant].email}",
            starts_on=today + timedelta(days=30 - index * 10),
            ends_on=today + timedelta(days=120 - index * 10),
            lines=[BudgetLine(position=n, item=item, amount_cents=cents) for n, (item, cents) in enumerate(lines, 1)],
            requested_cents=sum(cents for _item, cents in lines),
            created_at=started,
            updated_at=started,
        )
        previous = ProposalState.DRAFT
        for step, name in enumerate(_PATHS[state], start=1):
            target = ProposalState(name)
            actor = (
                users[applicant] if name in ("submitted", "resubmitted", "withdrawn", "running", "reported") else staff
            )
            proposal.events.append(
                ProposalEvent(
                    kind=EventKind.TRANSITION,
                    actor=actor,
                    at=started + timedelta(days=step * 3),
                    from_state=previous,
                    to_state=target,
                    note=_NOTES.get(name, ""),
                    amount_cents=granted if name == "approved" else None,
                )
            )
            if name == "submitted":
                proposal.submitted_at = started + timedelta(days=step * 3)
            previous = target
        if state in ("in_review", "resubmitted", "changes_requested"):
            proposal.reviewer = staff
            proposal.events.append(
                ProposalEvent(
                    kind=EventKind.NOTE,
                    actor=staff,
                    at=started + timedelta(days=7),
                    note="Intern: Kostenplan mit dem Bezirksbeirat abstimmen.",
                )
            )
        proposal.state = ProposalState(state)
        if granted is not None:
            proposal.granted_cents = granted
            proposal.decided_at = started + timedelta(days=9)
        if state in ("reported", "closed"):
            proposal.report_text = "Alle Termine haben stattgefunden; im Schnitt kamen 18 Teilnehmende."
            proposal.reported_at = started + timedelta(days=15)
            for line in proposal.lines:
                line.actual_cents = line.amount_cents * 9 // 10
        db.session.add(proposal)
    db.session.flush()


# Residents per district, rounded: about the size of Stuttgart's districts, for the Stuttgarter Weg report.
DEMO_POPULATIONS = {
    "Mitte": 23_400, "Nord": 27_500, "Ost": 49_200, "Süd": 44_300, "West": 52_600, "Bad Cannstatt": 71_300,
    "Birkach": 6_900, "Botnang": 13_200, "Degerloch": 16_900, "Feuerbach": 30_100, "Hedelfingen": 9_800,
    "Möhringen": 32_400, "Mühlhausen": 26_100, "Münster": 6_800, "Obertürkheim": 8_700, "Plieningen": 13_500,
    "Sillenbuch": 24_300, "Stammheim": 12_300, "Untertürkheim": 17_100, "Vaihingen": 46_200, "Wangen": 9_200,
    "Weilimdorf": 32_200, "Zuffenhausen": 38_600,
}  # fmt: skip


def seed_demo_populations() -> None:
    """Last year's population per district, as staff would enter it from the city's statistics."""
    from app.reports.models import DistrictPopulation

    year = date.today().year - 1
    districts = {d.name: d for d in db.session.scalars(select(District))}
    entered = set(db.session.scalars(select(DistrictPopulation.district_id).where(DistrictPopulation.year == year)))
    for name, population in DEMO_POPULATIONS.items():
        district = districts.get(name)
        if district is not None and district.id not in entered:
            db.session.add(DistrictPopulation(district_id=district.id, year=year, population=population))
    db.session.flush()

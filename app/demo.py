"""Demo data: a believable slice of a city, and one account per role. Never for production."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import LanguageLevel, Role, RoleGrant, User, UserLanguage
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

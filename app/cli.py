"""Command-line tasks: seed data, demo data, the first administrator."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from app.auth.models import Role, RoleGrant, User
from app.extensions import db

DEMO_PASSWORD = "lotse-demo-2026"  # noqa: S105 - documented demo credential, seeded only by seed-demo


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-districts")
    def seed_districts_command():
        """Add the 23 Stuttgart districts that are missing."""
        from app.places.services import seed_districts

        added = seed_districts()
        db.session.commit()
        click.echo(f"{added} districts added.")

    @app.cli.command("seed-activities")
    def seed_activities_command():
        """Add the usual activity types (homework help, language café ...) that are missing."""
        from app.shifts.services import seed_activity_types

        added = seed_activity_types()
        db.session.commit()
        click.echo(f"{added} activity types added.")

    @app.cli.command("seed-topics")
    def seed_topics_command():
        """Add the usual dialog topics (housing, school, work ...) that are missing."""
        from app.dialogs.services import seed_topics

        added = seed_topics()
        db.session.commit()
        click.echo(f"{added} topics added.")

    @app.cli.command("purge")
    def purge_command():
        """Apply the retention rules: unused registrations, old invitations, inactive accounts (after notice).

        Safe to run on a schedule: a second run finds nothing more to do.
        """
        from app.privacy.services import purge

        # The notices link to the app: URLs are built as in a request to the public address.
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            result = purge()
            db.session.commit()
        click.echo(
            f"{result.registrations} unused registrations and {result.invitations} invitations removed, "
            f"{result.notified} inactive accounts told, {result.deleted} deleted after notice, "
            f"{result.mails} mails given up a week ago removed."
        )

    @app.cli.command("import-attachments")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def import_attachments_command(folder: Path):
        """Move attachment files still kept in an upload folder (from before migration 0010) into the database.

        Safe to run again: what is in the database already is left alone.
        """
        from app.proposals.services import import_attachment_files

        moved, missing = import_attachment_files(folder)
        db.session.commit()
        click.echo(f"{moved} attachments moved into the database, {missing} still without their file.")

    @app.cli.command("send-reminders")
    def send_reminders_command():
        """Mail reminders for shifts and dialogs in the next 24 hours and for dialog logs 48 hours overdue.

        Safe to run often and on several machines: each reminder is claimed before it is sent.
        """
        from app.dialogs.services import send_reminders as send_dialog_reminders
        from app.shifts.services import send_reminders

        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            sent = send_reminders()
            sent += send_dialog_reminders()
        click.echo(f"{sent} reminders sent.")

    @app.cli.command("send-mail")
    @click.option("--watch", is_flag=True, help="Keep running and send new mail as it comes (the mailer process).")
    @click.option(
        "--interval", type=click.FloatRange(0.1, 600), default=2.0, show_default=True, help="Seconds between looks."
    )
    def send_mail_command(watch: bool, interval: float):
        """Send the mail waiting in the outbox, and what failed before once it is due again.

        Safe to run on several machines at once: each mail is taken before it is sent and settled as soon as it went
        out. With --watch it runs until stopped (SIGTERM or SIGINT), and finishes the mail in hand first.
        """
        import signal
        import threading

        from app.mail import BATCH, Delivered, send_due

        stop = threading.Event()
        before = {}
        if watch:
            for number in (signal.SIGTERM, signal.SIGINT):
                before[number] = signal.signal(number, lambda *_: stop.set())
        total = Delivered()
        try:
            # Links in mails written now are built as in a request to the public address.
            with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
                while not stop.is_set():
                    batch = send_due(stop=stop.is_set)
                    total += batch
                    if batch.taken == BATCH:
                        continue  # more may be waiting
                    if not watch:
                        break
                    db.session.remove()  # no connection held while waiting
                    stop.wait(interval)
        finally:
            for number, handler in before.items():
                signal.signal(number, handler)
        click.echo(
            f"{total.sent} mails sent, {total.failed} not sent (to be tried again or given up), "
            f"{total.dropped} no longer needed."
        )

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def seed_demo_command(if_empty: bool):
        """Load districts, accommodations, circles and one demo account per role."""
        from app.demo import seed_demo

        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Database already has data; demo data not loaded.")
            return
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        click.echo(f"Demo data loaded. Demo accounts use the password {DEMO_PASSWORD!r}.")

    @app.cli.command("seed-scale")
    @click.option(
        "--factor",
        type=click.FloatRange(0.001, 20),
        default=1.0,
        show_default=True,
        help="Size against a city like Stuttgart: 0.01 for a quick run, 10 for a large city.",
    )
    @click.option("--seed", type=int, default=8, show_default=True, help="The same seed gives the same data.")
    def seed_scale_command(factor: float, seed: int):
        """Fill an empty database with a city-scale dataset for benchmarks (bulk inserts)."""
        import time

        from app.scale import SCALE_PASSWORD, NotEmpty, seed_scale

        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("seed-scale writes benchmark accounts with a known password: not in production.")
        started = time.monotonic()
        try:
            counts = seed_scale(factor, seed)
        except NotEmpty as error:
            raise click.ClickException(f"seed-scale needs an empty database: {error}.")
        db.session.commit()
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        click.echo(f"{summary} in {time.monotonic() - started:.1f} s. Accounts use the password {SCALE_PASSWORD!r}.")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.option("--password", default=None, help="Read from a prompt when left out.")
    def create_admin_command(email: str, name: str, password: str | None):
        """Create an administrator account, or make an existing account administrator."""
        from app.auth.forms import PASSWORD_MIN
        from app.auth.services import find_user_by_email, register_user

        user = find_user_by_email(email)
        if user is None:
            if password is None:
                password = getpass.getpass("Password: ")
            if len(password) < PASSWORD_MIN:
                raise click.BadParameter(f"at least {PASSWORD_MIN} characters", param_hint="password")
            user = register_user(name, email, password, locale=None)
        if not user.has_role(Role.ADMIN):
            user.role_grants.append(RoleGrant(role=Role.ADMIN))
        db.session.commit()
        click.echo(f"{user.email} is an administrator.")

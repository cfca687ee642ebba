"""The manifest, the service worker's script and settings, the offline page, and what the worker keeps offline."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from app.auth.models import Role
from app.database import utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, ModeratorRole
from app.places.models import CircleMembership, MembershipStatus
from app.shifts.models import Signup, SignupStatus


def test_the_manifest_is_translated_and_names_icons_and_shortcuts(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["description"].startswith("Lotse coordinates volunteers")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable"}
    assert [s["name"] for s in manifest["shortcuts"]] == ["My shifts", "Open shifts"]
    arabic = client.get("/manifest.webmanifest", headers={"Accept-Language": "ar"}).json
    assert (arabic["lang"], arabic["dir"]) == ("ar", "rtl")
    assert arabic["description"] != manifest["description"]


def test_every_page_links_the_manifest_and_names_the_worker(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'data-worker="/sw.js"' in page
    assert "<script>" not in page  # the CSP forbids inline script: the worker is registered from app.js


def _settings(client) -> dict:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache" and response.mimetype == "text/javascript"
    match = re.match(r"const LOTSE = (\{.*?\});\n", response.get_data(as_text=True))
    return json.loads(match.group(1))


def test_the_worker_gets_its_urls_and_a_version_from_the_server(client, app):
    settings = _settings(client)
    assert settings["offline"] == "/offline" and settings["signout"] == ["/logout", "/account/delete"]
    assert settings["queued"] == ["/dialogs/{id}/log", "/shifts/{id}/attendance"]
    assert "/offline" in settings["shell"]
    assert any(re.fullmatch(r"/static/css/app\.css\?v=\w+", url) for url in settings["shell"])
    for url in settings["shell"]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    assert re.fullmatch(r"[0-9a-f]{16}", settings["version"])


def test_a_changed_asset_changes_the_version(app, tmp_path, monkeypatch):
    from app.pwa import services

    static = tmp_path / "static"
    for name in (*services.SHELL_ASSETS, services.WORKER_SOURCE):
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(name)
    with app.test_request_context():
        monkeypatch.setattr(app, "static_folder", str(static))
        before = services.shell_version()
        (static / "css/app.css").write_text("body { color: red }")
        services._digest.cache_clear()
        assert services.shell_version() != before


def test_the_offline_page_is_public_translated_and_holds_nothing_of_the_user(client, login, make_user):
    user = make_user(name="Olga Persönlich", locale="uk")
    login(user)
    response = client.get("/offline")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'lang="uk"' in page
    assert user.name not in page and user.email not in page and "csrf" not in page.lower()
    client.post_form("/logout")
    assert client.get("/offline", headers={"Accept-Language": "ar"}).status_code == 200


def test_the_worker_keeps_the_users_own_plans(client, login, db, make_user, make_circle, make_shift):
    circle = make_circle()
    user = make_user(roles=[Role.VOLUNTEER, Role.MODERATOR])
    db.session.add(CircleMembership(circle=circle, user=user, status=MembershipStatus.ACTIVE))
    mine, other, past = (
        make_shift(circle, starts_in=timedelta(days=2)),
        make_shift(circle, starts_in=timedelta(days=3)),
        make_shift(circle, starts_in=timedelta(days=-20)),
    )
    db.session.add_all(
        [
            Signup(shift=mine, user=user, status=SignupStatus.CONFIRMED),
            Signup(shift=past, user=user, status=SignupStatus.CONFIRMED),
        ]
    )

    def dialog(starts_in, lead):
        start = (utcnow() + starts_in).replace(second=0, microsecond=0)
        item = Dialog(
            accommodation=circle.accommodations[0], starts_at=start, ends_at=start + timedelta(hours=2), topic="D"
        )
        item.moderators.append(DialogModerator(user_id=lead.id, role=ModeratorRole.LEAD))
        item.languages = [DialogLanguage(code="ar")]
        db.session.add(item)
        return item

    coming, held, foreign = (
        dialog(timedelta(days=4), user),
        dialog(timedelta(hours=-3), user),
        dialog(timedelta(days=4), make_user(roles=[Role.MODERATOR])),
    )
    db.session.commit()
    login(user)
    response = client.get("/offline/pages")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["user"] == user.id
    pages = response.json["pages"]
    assert {"/", "/shifts/mine", "/shifts", f"/shifts/{mine.id}", "/dialogs", f"/dialogs/{coming.id}"} <= set(pages)
    assert f"/dialogs/{held.id}/log" in pages  # the log is written on the spot
    assert f"/shifts/{other.id}" not in pages and f"/shifts/{past.id}" not in pages
    assert f"/dialogs/{foreign.id}" not in pages


def test_coordinators_keep_the_shifts_they_record_attendance_for(client, login, make_user, make_circle, make_shift):
    circle = make_circle()
    ended = make_shift(circle, starts_in=timedelta(hours=-3))
    later = make_shift(circle, starts_in=timedelta(days=9))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    pages = client.get("/offline/pages").json["pages"]
    assert f"/shifts/{ended.id}" in pages and f"/shifts/{later.id}" not in pages
    assert "/dialogs" not in pages  # volunteers and coordinators don't see dialogs


def test_the_token_names_the_user_for_the_queue(client, login, make_user):
    user = make_user()
    assert client.get("/offline/token").status_code == 302
    login(user)
    response = client.get("/offline/token")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["user"] == user.id and response.json["csrf"]


def test_a_kept_copy_carries_a_hidden_offline_note_and_leaves_flashed_messages(client, login, make_user):
    login(make_user())
    client.post_form("/shifts/calendar")  # flashes "your calendar address is ready" for the next page
    copy = client.get("/shifts/mine", headers={"X-Lotse-Offline-Copy": "1"}).get_data(as_text=True)
    assert re.search(r"data-offline-note hidden>[^<]*\b\d\d:\d\d\b", copy)
    assert 'class="alert alert-success"' not in copy
    assert 'class="alert alert-success"' in client.get("/").get_data(as_text=True)


def test_the_shift_page_names_the_coordinators_to_contact(
    client, login, make_user, make_circle, make_member, make_shift
):
    circle = make_circle()
    coordinator = make_user(name="Clara Kontakt", roles=[(Role.COORDINATOR, circle)])
    shift = make_shift(circle)
    login(make_member(circle))
    page = client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "Clara Kontakt" in page and f'href="mailto:{coordinator.email}"' in page

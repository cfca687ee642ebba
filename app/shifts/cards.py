"""Shift cards, written in Python: lists show fifteen or more of them, and a Jinja template took three times as
long for each. The markup is the same the templates used; every value is escaped here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.i18n import gettext as _
from app.i18n import language_name, ngettext
from app.templating import icon, item_url, shift_when

if TYPE_CHECKING:
    from app.shifts.routes import ShiftCard


class _Words:
    """What every card on a page says alike, translated and escaped once per page."""

    def __init__(self):
        self.cancelled = escape(_("Cancelled"))
        self.signed_up = escape(_("Signed up"))
        self.under_way = escape(_("Under way"))
        self.full = escape(_("Full"))
        # (Translated outside the f-strings, where the catalog's extractor finds them.)
        vetting = escape(_("Certificate of good conduct"))
        self.vetting = Markup(f"{icon('shield')}{vetting}")  # noqa: S704
        self.open_to_all = escape(_("Open to all circles"))
        self.cancel_signup = escape(_("Cancel sign-up"))
        self.leave_waitlist = escape(_("Leave waitlist"))
        self.join_waitlist = escape(_("Join waitlist"))
        self.sign_up = escape(_("Sign up"))
        self.confirm_cancel = escape(_("Do you really want to cancel your sign-up?"))
        self.confirm_leave = escape(_("Leave the waitlist?"))
        self.globe = icon("globe")


def shift_cards(cards: list[ShiftCard], remove_on_withdraw: bool = False) -> Markup:
    """The cards, one <article> each: activity, title, a badge for the reader's state or the free places, time,
    place and circle, tags, and the sign-up or cancel button, which swaps its card with htmx and works as a plain
    form. `remove_on_withdraw` takes a withdrawn card off the list ("My shifts")."""
    words = _Words()
    csrf = escape(generate_csrf())
    back = escape(request.full_path if request.method == "GET" else "")
    return Markup(  # noqa: S704 - every value is escaped in _card
        "\n".join(_card(card, words, csrf, back, remove_on_withdraw) for card in cards)
    )


def _card(card: ShiftCard, words: _Words, csrf: str, back: str, remove_on_withdraw: bool) -> str:
    shift = card.shift
    shift_id = int(shift.id)
    title = escape(shift.title)
    cancelled = shift.is_cancelled
    state = " is-cancelled" if cancelled else ""
    actions = "" if cancelled else _actions(card, words, shift_id, title, csrf, back, remove_on_withdraw)
    return (
        f'<article class="card shift-card{state}" id="shift-{shift_id}" aria-labelledby="shift-{shift_id}-title">'
        f'<div class="shift-head"><div class="grow"><p class="eyebrow">{escape(card.activity)}</p>'
        f'<h2 class="title" id="shift-{shift_id}-title">'
        f'<a href="{item_url("shifts.detail", shift_id=shift_id)}">{title}</a></h2></div>{_badge(card, words)}</div>'
        f'<ul class="meta"><li><strong>{escape(shift_when(shift.starts_at, shift.ends_at))}</strong></li>'
        f"<li>{escape(shift.place)}</li><li>{escape(shift.circle_name)}</li></ul>"
        f"{_tags(shift, words)}{actions}</article>"
    )


def _badge(card: ShiftCard, words: _Words) -> str:
    """The reader's sign-up, or else whether the shift is under way, full, or how many places are free."""
    shift, signup = card.shift, card.signup
    if shift.is_cancelled:
        return f'<span class="badge badge-danger">{words.cancelled}</span>'
    if signup and signup.status.value == "confirmed":
        return f'<span class="badge badge-ok">{words.signed_up}</span>'
    if signup and signup.status.value == "waitlisted":
        place = _("Waitlist no. %(position)s", position=card.position)
        return f'<span class="badge badge-warn">{escape(place)}</span>'
    if shift.has_started():
        return f'<span class="badge badge-neutral">{words.under_way}</span>'
    if card.free == 0:
        return f'<span class="badge badge-warn">{words.full}</span>'
    free = ngettext("%(count)s place free", "%(count)s places free", card.free, count=card.free)
    return f'<span class="badge">{escape(free)}</span>'


def _tags(shift, words: _Words) -> str:
    tags = []
    if shift.requires_vetting:
        tags.append(f'<span class="badge badge-neutral">{words.vetting}</span>')
    if shift.required_language:
        tags.append(
            f'<span class="badge badge-neutral">{words.globe}{escape(language_name(shift.required_language))}</span>'
        )
    if shift.open_to_all:
        tags.append(f'<span class="badge badge-neutral">{words.open_to_all}</span>')
    return f'<p class="tags">{"".join(tags)}</p>' if tags else ""


def _actions(card: ShiftCard, words: _Words, shift_id: int, title: str, csrf: str, back: str, remove: bool) -> str:
    """Cancel (or leave the waitlist), why one can't sign up, or sign up (or join the waitlist)."""
    signup = card.signup
    hidden = f'<input type="hidden" name="csrf_token" value="{csrf}"><input type="hidden" name="next" value="{back}">'
    for_title = f'<span class="visually-hidden">: {title}</span>'
    if signup:
        action = item_url("shifts.withdraw", shift_id=shift_id)
        confirmed = signup.status.value == "confirmed"
        confirm = words.confirm_cancel if confirmed else words.confirm_leave
        if remove:
            hidden += '<input type="hidden" name="then" value="remove">'
        label = words.cancel_signup if confirmed else words.leave_waitlist
        return (
            f'<div class="actions"><form method="post" action="{action}" hx-post="{action}" '
            f'hx-target="#shift-{shift_id}" hx-swap="outerHTML" hx-confirm="{confirm}" data-confirm="{confirm}">'
            f'{hidden}<button class="btn btn-danger" type="submit" id="shift-{shift_id}-action">{label}{for_title}'
            "</button></form></div>"
        )
    if card.obstacle:
        return f'<div class="actions"><p class="small muted">{escape(card.obstacle)}</p></div>'
    action = item_url("shifts.sign_up", shift_id=shift_id)
    label = words.join_waitlist if card.free == 0 else words.sign_up
    return (
        f'<div class="actions"><form method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#shift-{shift_id}" hx-swap="outerHTML">{hidden}'
        f'<button class="btn" type="submit" id="shift-{shift_id}-action">{label}{for_title}</button></form></div>'
    )

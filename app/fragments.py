"""Parts of pages that depend on a few values only, rendered once per process and kept.

The layout's head, navigation, menus and footer are the same for everyone who reads the same language with the
same roles on the same page; rendering them anew for every request cost about as much as a short page's content.
A fragment template is rendered with nothing but its declared arguments and the language (no request, no user, no
CSRF token), so that a kept copy can never carry one person's data into another person's page:
`tests/test_fragments.py` checks every name a fragment template reads against its declaration here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from flask import current_app, request
from markupsafe import Markup

from app.i18n import current_language, text_direction

# Each fragment template and the arguments it is rendered with (besides those every fragment gets, below).
FRAGMENTS: dict[str, tuple[str, ...]] = {
    "layout/_head.html": (),
    "layout/_topbar.html": ("endpoint", "signed_in", "dialogs"),
    "layout/_language_choice.html": (),
    "layout/_account_links.html": ("interprets", "reports", "reviews", "dialogs", "admin", "staff", "invite"),
    "layout/_page_end.html": ("endpoint", "signed_in", "dialogs"),
}
# What every fragment may read besides its arguments: the language and what follows from it, and helpers whose
# results depend on nothing else (static and page addresses, icons, the catalog of the language).
IMPLICIT_ARGUMENTS = ("current_language", "text_direction", "ui_languages")
SAFE_GLOBALS = frozenset({"page_url", "asset_url", "icon", "_", "gettext", "ngettext"})
# Some hundred endpoints in six languages with a few sets of roles; a bound keeps a worker's memory in check.
MAX_KEPT = 4096


class _Kept:
    """A bounded map of rendered fragments, the least recently used going first."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[tuple, Markup] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> Markup | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Markup) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


def _kept() -> _Kept:
    kept = current_app.extensions.get("lotse_fragments")
    if kept is None:
        kept = current_app.extensions["lotse_fragments"] = _Kept(MAX_KEPT)
    return kept


def kept_markup(key: tuple, build: Callable[[], Markup]) -> Markup:
    """What `build` makes, kept for the next request with the same key (with the reader's language added to it).
    The key must hold everything the markup is made from: the caller vouches for it, as it cannot be checked."""
    key = (current_language(), request.script_root, *key)
    kept = _kept()
    found = kept.get(key)
    if found is None:
        found = build()
        kept.put(key, found)
    return found


def fragment(template: str, **arguments) -> Markup:
    """The fragment `template` rendered with `arguments` in the reader's language, kept for the next request that
    asks for the same. Only templates declared in FRAGMENTS, with exactly their arguments."""
    declared = FRAGMENTS[template]
    if set(arguments) != set(declared):
        raise TypeError(f"{template} takes {sorted(declared)}, not {sorted(arguments)}")
    language = current_language()
    return kept_markup(
        (template, *(arguments[name] for name in declared)),
        lambda: Markup(  # noqa: S704 - rendered by Jinja with autoescape
            current_app.jinja_env.get_template(template).render(
                current_language=language,
                text_direction=text_direction(),
                ui_languages=current_app.extensions["lotse_ui_languages"],
                **arguments,
            )
        ),
    )

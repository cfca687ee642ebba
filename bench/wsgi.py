"""The app as bench/run serves it: the real app plus what only a benchmark needs, never used in production.

- `/bench/hello`: a bare Flask route on the same server, with the same extensions and hooks, as the yardstick;
- `X-Query-Count`: how many SQL statements the request ran.
"""

from __future__ import annotations

import gc

from flask import g, has_request_context
from sqlalchemy import event

from app import create_app
from app.extensions import db

app = create_app()


@app.get("/bench/hello")
def hello():
    """The yardstick: what a request costs before Lotse does anything."""
    return "hello"


def _count_statement(*_args, **_kwargs) -> None:
    if has_request_context():
        g.bench_queries = g.get("bench_queries", 0) + 1


with app.app_context():
    event.listen(db.engine, "before_cursor_execute", _count_statement)


def _report_query_count(response):
    response.headers["X-Query-Count"] = str(g.get("bench_queries", 0))
    return response


# After-request functions run last-registered first: this one goes first in the list, so it runs after all of the
# app's own (the request log looks up the signed-in user) and counts their statements too.
app.after_request_funcs.setdefault(None, []).insert(0, _report_query_count)
gc.freeze()  # as wsgi.py does

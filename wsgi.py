"""WSGI entry point: `gunicorn wsgi:app`."""

import gc

from app import create_app

app = create_app()
# What the worker made to start with lives as long as the worker: kept out of the garbage collector's passes,
# which otherwise walk some 200,000 such objects in every full collection, a pause of milliseconds mid-request.
gc.freeze()

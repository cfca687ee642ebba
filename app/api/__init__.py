"""The read API (/api/v1) with personal access tokens, and the page where people manage their tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__)

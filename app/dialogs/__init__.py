from flask import Blueprint

bp = Blueprint("dialogs", __name__)

"""Forms for funding programmes, proposals with budget lines, uploads, the review and the final report."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms import FreeText, PlainText, ReasonableDate, strip
from app.names import TranslatedNamesForm

MAX_LINES = 30
MAX_CENTS = 10_000_000 * 100  # ten million euros: beyond any programme; sums of lines stay in a 32-bit column
_PLAIN_AMOUNT = re.compile(r"^\d{1,11}(?:[.,]\d{1,2})?$")
DATE_HINT = _l("Please enter the date as shown, e.g. 2026-03-31.")


def optional_int(value):
    """Choice values travel as strings; the empty "please choose" one stands for nothing chosen."""
    if value in ("", None):
        return None
    return int(value)


def parse_cents(text: str) -> int:
    """Euros as a person types them ("1.250,50" in German, "1,250.50" in English, "1250.5") in cents."""
    cleaned = text.replace("€", "").replace("EUR", "").replace("\u00a0", "").replace(" ", "").strip()
    # Amounts copied from a right-to-left page carry direction marks; Arabic writes the decimal point as U+066B.
    cleaned = cleaned.translate({0x200E: None, 0x200F: None, 0x061C: None, 0x066B: "."})
    if not cleaned:
        raise ValueError("empty")
    if not all(ch.isdigit() or ch in ".,\u066c" for ch in cleaned):
        raise ValueError(cleaned)
    value: Decimal | None = None
    try:
        value = parse_decimal(cleaned, locale=get_locale(), strict=True)
    except NumberFormatError:
        value = None
    if value is None and _PLAIN_AMOUNT.match(cleaned):
        value = Decimal(cleaned.replace(",", "."))
    if value is None:
        raise ValueError(cleaned)
    try:
        cents = value * 100
        if cents != cents.to_integral_value() or cents < 0 or cents > MAX_CENTS:
            raise ValueError(cleaned)
        return int(cents)
    except InvalidOperation:
        raise ValueError(cleaned)


class MoneyField(StringField):
    """An amount in euros; `data` holds whole cents (or None when left empty)."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        if not self.raw.strip():
            self.data = None
            return
        try:
            self.data = parse_cents(self.raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Please enter an amount in euros, e.g. 1250 or 1250,50."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from app.proposals.services import money_plain

        return money_plain(self.data)


def _text(label, max_length: int, required_message=None, multiline: bool = False):
    validators = [
        DataRequired(required_message) if required_message else Optional(),
        Length(max=max_length, message=_l("This can have at most %(max)d characters.", max=max_length)),
        FreeText() if multiline else PlainText(),
    ]
    field = TextAreaField if multiline else StringField
    return field(label, filters=[strip], validators=validators)


class ProgrammeForm(TranslatedNamesForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Please enter the year, e.g. 2027.")),
            NumberRange(min=2000, max=2100, message=_l("Please enter a year between %(min)s and %(max)s.")),
        ],
    )
    budget = MoneyField(_l("Total budget (€)"), validators=[InputRequired(_l("Please enter the budget in euros."))])
    opens_on = DateField(_l("Open for proposals from"), validators=[InputRequired(DATE_HINT), ReasonableDate()])
    closes_on = DateField(_l("Open for proposals until"), validators=[InputRequired(DATE_HINT), ReasonableDate()])
    rules = _text(_l("Rules"), 5000, multiline=True)

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The end must not be before the start."))

    def validate_budget(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The budget must be more than zero."))


class DistrictBudgetForm(FlaskForm):
    district = SelectField(_l("District"), coerce=int, validators=[InputRequired(_l("Please choose a district."))])
    amount = MoneyField(_l("Budget of the district (€)"), description=_l("Leave empty to remove the district's share."))


class BudgetLineForm(FlaskForm):
    class Meta:
        csrf = False

    item = StringField(
        _l("Item"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("This can have at most %(max)d characters.", max=200)),
            PlainText(),
        ],
    )
    amount = MoneyField(_l("Amount (€)"))

    @property
    def is_empty(self) -> bool:
        return not self.item.data and self.amount.data is None and not (self.amount.raw_data or [""])[0].strip()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_empty:
            return valid
        if not self.item.data and not self.item.errors:
            self.item.errors = [*self.item.errors, _l("Please say what the money is for.")]
            valid = False
        if self.amount.data is None and not self.amount.errors:
            self.amount.errors = [*self.amount.errors, _l("Please enter the amount.")]
            valid = False
        elif self.amount.data is not None and self.amount.data <= 0:
            self.amount.errors = [*self.amount.errors, _l("The amount must be more than zero.")]
            valid = False
        return valid


class ProposalForm(FlaskForm):
    """Everything may stay empty in a draft except the title; submitting checks completeness."""

    programme = SelectField(
        _l("Funding programme"), coerce=int, validators=[InputRequired(_l("Please choose a programme."))]
    )
    district = SelectField(
        _l("District"), coerce=optional_int, validators=[InputRequired(_l("Please choose a district."))]
    )
    title = _text(_l("Project title"), 200, _l("Please give the project a title."))
    summary = _text(_l("Summary"), 3000, multiline=True)
    goals = _text(_l("Goals"), 3000, multiline=True)
    target_group = _text(_l("Target group"), 300)
    group_name = _text(_l("The group behind the project"), 200)
    contact = _text(_l("Contact"), 300)
    starts_on = DateField(_l("Start"), validators=[Optional(), ReasonableDate(past_years=1, future_years=3)])
    ends_on = DateField(_l("End"), validators=[Optional(), ReasonableDate(past_years=1, future_years=4)])
    lines = FieldList(FormField(BudgetLineForm), min_entries=1, max_entries=MAX_LINES)

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end must not be before the start."))

    def validate_lines(self, field):
        if sum(amount or 0 for _item, amount in self.filled_lines()) > MAX_CENTS:
            raise ValidationError(_l("The budget lines add up to more than any programme can fund."))

    def filled_lines(self) -> list[tuple[str, int]]:
        return [(row.item.data, row.amount.data) for row in self.lines if not row.is_empty]


class UploadForm(FlaskForm):
    file = FileField(_l("File (PDF, JPEG or PNG)"))


class MessageForm(FlaskForm):
    text = _text(_l("Message"), 3000, _l("Please write the message."), multiline=True)


class NoteForm(FlaskForm):
    text = _text(_l("Internal note"), 3000, _l("Please write the note."), multiline=True)


class ReasonForm(FlaskForm):
    text = _text(_l("Reason"), 3000, _l("Please give a reason."), multiline=True)


class ApproveForm(FlaskForm):
    amount = MoneyField(_l("Granted amount (€)"), validators=[InputRequired(_l("Please enter the granted amount."))])
    text = _text(_l("Message to the applicant (optional)"), 3000, multiline=True)


class GrantChangeForm(FlaskForm):
    amount = MoneyField(_l("New granted amount (€)"), description=_l("Leave empty to withdraw the approval."))
    text = _text(_l("Reason"), 3000, _l("Please give a reason."), multiline=True)


class CloseForm(FlaskForm):
    text = _text(_l("Closing word (optional)"), 3000, multiline=True)


class AssignForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer"), coerce=str)


class ReportForm(FlaskForm):
    report_text = _text(_l("What happened"), 5000, _l("Please describe what happened in the project."), multiline=True)


class QueueFilterForm(FlaskForm):
    """The review queue's filters, read from the query string."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), coerce=str, default="")
    district = SelectField(_l("District"), coerce=str, default="")
    programme = SelectField(_l("Programme"), coerce=str, default="")

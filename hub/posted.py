"""What a request may send: form posts only, and whole numbers the database can hold.

Flask-WTF reads a JSON body as if it were a form (and a multipart body's files as answers), which
would skip the text cleaning, length caps and required checks the forms rely on; so any body that is
not a plain form post is refused before a form is built. Numbers come as ASCII digits only (Python's
``int`` also takes "²", "٣" and "1_000") and no larger than a database integer, so an out-of-range
number is a clear 400, never an overflow.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import BaseConverter
from wtforms import IntegerField

FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})
"""No form takes a file, so a multipart body (which can put a file where text belongs) is refused too."""
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LARGEST = 2**31 - 1
"""The largest value of a PostgreSQL ``integer`` column (and far more than any count the hub keeps)."""
MOST_DIGITS = len(str(LARGEST))


class NotAForm(UnsupportedMediaType):
    advice = "This page only takes answers sent from its own form. Please go back and use the form."


class NumberNotUsable(BadRequest):
    advice = "A number in the web address is not one we can use. Please check it and try again."


def init_app(app: Flask) -> None:
    """Call before any other extension's request hooks, so a refused body is never read by them."""
    app.url_map.converters["int"] = WholeNumberConverter
    app.before_request(refuse_what_is_not_a_form_post)


def refuse_what_is_not_a_form_post() -> None:
    if request.method not in SUBMIT_METHODS or request.mimetype in FORM_TYPES:
        return
    # A body-less post (no type, no length) has nothing to misread; CSRF still refuses it.
    if (
        not request.mimetype
        and not request.content_length
        and "chunked" not in request.headers.get("Transfer-Encoding", "")
    ):
        return
    raise NotAForm()


def whole_number(text: Any, largest: int = LARGEST) -> int | None:
    """``text`` as a whole number from 0 to ``largest``, or None when it is anything else."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MOST_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= largest else None


def number_argument(name: str, default: int) -> int:
    """A whole number from the query string; absent means ``default``, anything unusable a 400."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    value = whole_number(text)
    if value is None:
        raise NumberNotUsable()
    return value


class WholeNumberConverter(BaseConverter):
    """``<int:...>`` in routes: ASCII digits only; a number no database integer can hold is a 400."""

    regex = r"[0-9]+"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = whole_number(value)
        if number is None:  # the pattern lets through ASCII digits only, so it is too big
            raise NumberNotUsable()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class WholeNumberField(IntegerField):
    """A form's whole number: ASCII digits only, kept as typed when it is not one."""

    def __init__(
        self,
        *args: Any,
        message: str = "Enter a whole number, like 12",
        too_big: str = "Enter a smaller number",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.message = message
        self.too_big = too_big

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.raw_data = [str(valuelist[0])[:1000]]  # kept to show again, as typed
        text = self.raw_data[0].strip()
        if not text:
            self.data = None
            return
        self.data = whole_number(text)
        if self.data is None:
            raise ValueError(self.too_big if text.isascii() and text.isdigit() else self.message)

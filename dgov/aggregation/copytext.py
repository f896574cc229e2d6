"""The rows of a federation batch as text: PostgreSQL's COPY text format, one line per change.

A line is `_key`, `_seq`, `_deleted` and the dataset's columns (the batch names them), separated by
tabs and ended by a newline. NULL is `\\N`; a backslash, tab, newline or carriage return inside a
value is written `\\\\`, `\\t`, `\\n`, `\\r` (and backspace, form feed, vertical tab `\\b`, `\\f`,
`\\v`). Values:

| type | text |
|---|---|
| `_key`, string | the text |
| `_seq`, integer | decimal digits, `-` for a negative integer |
| `_deleted`, boolean | `t` or `f` |
| decimal | `[-]digits[.digits]` |
| date | `YYYY-MM-DD` |
| datetime | `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (UTC; a time without offset is the platform's local time) |
| binary | `\\\\x` and the bytes in hexadecimal |

It is what PostgreSQL's `COPY … TO STDOUT` writes (session time zone UTC, ISO dates, hex bytea),
so a PostgreSQL data store sends a batch without touching a row in Python and a PostgreSQL target
COPYs it into a staging table and checks it in SQL (`datastore.changes_text`,
`datastore.apply_changes_text`). This module is the same format in Python, for the other stores:
`encode_value` on the way out, `parse` (with the checks of every value against its column) on the
way in.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

NULL = "\\N"
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_ESCAPE_RE = re.compile(r"[\\\t\n\r\b\f\v]")
_OUT = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
INTEGER_RE = re.compile(r"^-?[0-9]{1,19}$")
DECIMAL_RE = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


class FormatError(ValueError):
    """A batch's text that is not a well-formed batch; the message holds no value."""


def escape(text: str) -> str:
    if _NEEDS_ESCAPE_RE.search(text) is None:
        return text
    return _NEEDS_ESCAPE_RE.sub(lambda m: _OUT[m.group(0)], text)


def _unescape_one(match) -> str:
    char = match.group(1)
    if char in "01234567x":
        # PostgreSQL never writes octal or hexadecimal escapes; neither does dgov
        raise FormatError("an octal or hexadecimal escape")
    return _ESCAPES.get(char, char)


def unescape(field: str):
    """A field's value: None for `\\N`, the text with its escapes undone otherwise."""
    if field == NULL:
        return None
    if "\\" not in field:
        return field
    return _ESCAPE_RE.sub(_unescape_one, field)


def encode_value(value, data_type: str) -> str:
    """A stored value (as the data store hands it back) as a field."""
    if value is None:
        return NULL
    if data_type == "string":
        return escape(value)
    if data_type == "boolean" or type(value) is bool:
        return "t" if value else "f"
    if data_type == "integer":
        return str(int(value))
    if data_type == "decimal":
        # SQLite keeps decimals as REAL: the float's shortest repr is the value it holds
        number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float)
                                                                  else str(value))
        return format(number, "f")
    if data_type == "datetime":
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return aware.replace(tzinfo=None).isoformat(sep=" ") + "+00"
    if data_type == "date":
        return value.isoformat()
    if data_type == "binary":
        return "\\\\x" + bytes(value).hex()
    raise TypeError(f"unknown data type {data_type!r}")


def header(columns: list[str]) -> str:
    """The line naming the fields, which the batch digest covers with the rows."""
    return "\t".join(["_key", "_seq", "_deleted", *columns]) + "\n"


def _wire(data_type: str):
    """Text of a field → the value as `datastore.coerce` takes it (it then checks it like any value)."""
    if data_type == "string":
        return lambda text: text
    if data_type == "integer":
        def integer(text):
            if not INTEGER_RE.match(text):
                raise FormatError("not an integer")
            return int(text)
        return integer
    if data_type == "decimal":
        def decimal(text):
            if not DECIMAL_RE.match(text):
                raise FormatError("not a decimal")
            try:
                return Decimal(text)
            except InvalidOperation:
                raise FormatError("not a decimal") from None
        return decimal
    if data_type == "date":
        def date(text):
            if len(text) != 10:
                raise FormatError("not a date")
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise FormatError("not a date") from None
        return date
    if data_type == "datetime":
        def moment(text):
            if len(text) < 19 or text[10] not in " T":
                raise FormatError("not a date and time")
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                raise FormatError("not a date and time") from None
        return moment
    if data_type == "boolean":
        def boolean(text):
            if text not in ("t", "f"):
                raise FormatError("not t or f")
            return text == "t"
        return boolean
    if data_type == "binary":
        def binary(text):
            if not text.startswith("\\x"):
                raise FormatError("not hexadecimal bytes")
            try:
                return bytes.fromhex(text[2:])
            except ValueError:
                raise FormatError("not hexadecimal bytes") from None
        return binary
    raise TypeError(f"unknown data type {data_type!r}")


def parse(text: str, types: list[str]) -> list[tuple]:
    """The lines of `text` as (`_key`, `_seq`, `_deleted`, values…) with each value as `coerce` takes
    it (None for NULL), `types` being the batch's columns' types. Raises FormatError for a line that
    is not well formed (the wrong number of fields, a field that is not of its type)."""
    if not text:
        return []
    if not text.endswith("\n"):
        raise FormatError("the rows do not end with a newline")
    width = 3 + len(types)
    readers = [_wire(t) for t in types]
    out = []
    for line in text[:-1].split("\n"):
        fields = line.split("\t")
        if len(fields) != width:
            raise FormatError("a line has the wrong number of fields")
        key, seq, deleted = unescape(fields[0]), fields[1], fields[2]
        if not INTEGER_RE.match(seq) or deleted not in ("t", "f"):
            raise FormatError("a line lacks its sequence or deletion flag")
        values = [key, int(seq), deleted == "t"]
        for field, read in zip(fields[3:], readers, strict=True):
            value = unescape(field)
            values.append(None if value is None else read(value))
        out.append(tuple(values))
    return out

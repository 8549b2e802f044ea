"""Whole numbers typed by people or sent by clients as text.

``str.isdigit`` is no test for ``int()``: it accepts «²» and other Unicode digits that ``int()`` refuses, and
``int()`` refuses more than 4,300 digits. Here a number is ASCII digits (a sign where allowed), and not more of
them than any id, count or year this product stores can have (which also keeps it within the databases'
integers); anything else is not a number (None), and the caller answers as it does for any bad value.
"""

MAX_DIGITS = 18


def whole_number(value, *, signed: bool = False) -> int | None:
    """The whole number ``value`` is or spells (``signed``: a leading + or - allowed), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)  # the same bounds for a number sent as a number
    if not isinstance(value, str):
        return None
    text = value.strip()
    digits = text[1:] if signed and text[:1] in ("+", "-") else text
    if not digits or len(digits) > MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)

"""What the columns can hold, read from the models so that every check of input (API
schemas, forms, services, the paper source parser) agrees with the schema: a String(n)
column's length, an Integer column's range.

PostgreSQL refuses a string longer than its column and a whole number beyond its
type's range; SQLite stores them. Checking against these limits gives the same clear
refusal on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_RANGES = ((SmallInteger, 2**15 - 1), (BigInteger, INT64_MAX), (Integer, INT32_MAX))


def _column(model: type[Any], name: str):
    return model.__table__.c[name]


def column_length(model: type[Any], name: str) -> int:
    """The length of `model`'s String(n) column `name`; an error for an unbounded one."""
    length = getattr(_column(model, name).type, "length", None)
    if length is None:
        raise TypeError(f"{model.__name__}.{name} has no length")
    return int(length)


def shortest_length(*columns: tuple[type[Any], str]) -> int:
    """The length that fits every one of the columns (a value stored in several)."""
    return min(column_length(model, name) for model, name in columns)


def integer_range(model: type[Any], name: str) -> tuple[int, int]:
    """The smallest and largest whole number `model`'s integer column `name` holds."""
    kind = _column(model, name).type
    for type_, high in _RANGES:
        if isinstance(kind, type_):
            return -high - 1, high
    raise TypeError(f"{model.__name__}.{name} is not an integer column")

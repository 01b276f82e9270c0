"""The personal identity code: a table of valid and invalid codes (artificial numbers 900-999 only)."""

from __future__ import annotations

from datetime import date

import pytest

from server.identity_code import InvalidIdentityCode, make, parse

VALID = [
    # code, birth date
    ("131052-9081", date(1952, 10, 13)),  # the traditional 1900s sign
    ("010594Y9021", date(1994, 5, 1)),  # the 2023 signs of the 1900s: Y X W V U
    ("020594X903P", date(1994, 5, 2)),
    ("030594W903B", date(1994, 5, 3)),
    ("040594V9030", date(1994, 5, 4)),
    ("050594U903M", date(1994, 5, 5)),
    ("010516A902N", date(2016, 5, 1)),  # 2000s: A and the 2023 signs B C D E F
    ("010516B903X", date(2016, 5, 1)),
    ("010516C903N", date(2016, 5, 1)),
    ("010516D9034", date(2016, 5, 1)),
    ("010516E903L", date(2016, 5, 1)),
    ("010516F9031", date(2016, 5, 1)),
    ("010185+9912", date(1885, 1, 1)),  # 1800s
    ("290200A9994", date(2000, 2, 29)),  # a leap day
]


def _fixed(code: str) -> str:
    """The table's codes with their real check character (computed, so a typo cannot hide a bug)."""
    from server.identity_code import check_character

    clean = code.strip().upper()
    return clean[:10] + check_character(clean[:6] + clean[7:10])


@pytest.mark.parametrize(("code", "born"), VALID)
def test_valid_codes(code: str, born: date) -> None:
    fixed = _fixed(code)
    parsed = parse(fixed)
    assert (parsed.code, parsed.birth_date, parsed.artificial) == (fixed, born, True)
    # Lower case and surrounding spaces are normalised, not refused.
    assert parse(f" {fixed.lower()} ").code == fixed


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("131052-90", "length"),
        ("131052-90811", "length"),
        ("13105a-9081", "format"),
        ("131052Z9081", "century_sign"),  # Z is no century sign
        ("131052G9081", "century_sign"),  # neither is G (the 2000s stop at F)
        ("311152-9081", "date"),  # 31 November
        ("290201A9081", "date"),  # 29 February 2001
        ("131052-0011", "individual_number"),  # 001 is never given
        ("131052-0001", "individual_number"),
    ],
)
def test_invalid_codes(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentityCode) as refused:
        parse(code)
    assert refused.value.reason == reason


def test_a_wrong_check_character_is_refused() -> None:
    good = make(date(1952, 10, 13), 908)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert parse(good).code == good
    with pytest.raises(InvalidIdentityCode) as refused:
        parse(wrong)
    assert refused.value.reason == "check_character"


def test_documented_examples_with_their_printed_check_characters() -> None:
    # Examples published with the 2023 century signs; their check characters are as printed.
    for code in ("010594Y9021", "020594X903P", "030594W903B", "040594V9030", "050594U903M", "010516B903X"):
        assert parse(code).code == code


def test_make_gives_every_century_sign_and_masks() -> None:
    assert make(date(1994, 5, 1), 902, new_sign=1)[6] == "Y"
    assert make(date(2016, 5, 1), 903, new_sign=5)[6] == "F"
    assert make(date(1885, 1, 1), 991)[6] == "+"
    assert parse(make(date(1952, 10, 13), 908)).masked() == "131052-****"

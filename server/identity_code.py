"""The Finnish personal identity code (*henkilötunnus*): `DDMMYYCZZZQ`.

`DDMMYY` the birth date, `C` the century sign, `ZZZ` the individual number, `Q` the check character
(`DDMMYYZZZ` as one integer modulo 31, indexed into `CHECK_CHARACTERS`). Since 2023 the 1900s have the
signs `-YXWVU` and the 2000s `ABCDEF` (Decree 128/2010 as amended), because the plain signs ran short.
Individual numbers 002-899 are given to people; 900-999 are kept for artificial and temporary identities,
which is the only range Kaari's demo and test data use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
ARTIFICIAL_INDIVIDUAL_NUMBERS = range(900, 1000)


class InvalidIdentityCode(ValueError):
    """Why a code is not a valid identity code; `reason` is a short code, the message says it in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IdentityCode:
    code: str
    birth_date: date
    individual_number: int

    @property
    def artificial(self) -> bool:
        return self.individual_number in ARTIFICIAL_INDIVIDUAL_NUMBERS

    def masked(self) -> str:
        """What roles that do not need the code see: the birth date part only (`010150-****`)."""
        return self.code[:7] + "****"


def check_character(digits: str) -> str:
    """The check character of `DDMMYYZZZ` (nine digits)."""
    return CHECK_CHARACTERS[int(digits) % 31]


def parse(value: str) -> IdentityCode:
    """Validate and normalise (upper case, no surrounding spaces) an identity code, or raise why not."""
    code = value.strip().upper()
    if len(code) != 11:
        raise InvalidIdentityCode("length", f"An identity code has 11 characters, not {len(code)}.")
    day, month, year, sign, number, check = code[0:2], code[2:4], code[4:6], code[6], code[7:10], code[10]
    if not (day + month + year + number).isdigit():
        raise InvalidIdentityCode("format", "The date and the individual number must be digits.")
    if sign not in CENTURIES:
        raise InvalidIdentityCode("century_sign", f"{sign!r} is not a century sign (+, -YXWVU, ABCDEF).")
    try:
        born = date(CENTURIES[sign] + int(year), int(month), int(day))
    except ValueError:
        raise InvalidIdentityCode("date", f"{day}.{month}.{year} is not a date.") from None
    individual = int(number)
    if individual < 2:
        raise InvalidIdentityCode("individual_number", "Individual numbers start at 002.")
    if check != check_character(day + month + year + number):
        raise InvalidIdentityCode("check_character", "The check character does not match.")
    return IdentityCode(code, born, individual)


def is_valid(value: str) -> bool:
    try:
        parse(value)
    except InvalidIdentityCode:
        return False
    return True


def make(born: date, individual_number: int, *, new_sign: int = 0) -> str:
    """An identity code for `born` (tests and demo data: pass an individual number of 900-999).

    `new_sign` picks among a century's signs: 0 is the traditional one (`+`, `-`, `A`), 1-5 the 2023 ones.
    """
    signs = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}[born.year // 100 * 100]
    digits = f"{born:%d%m%y}{individual_number:03d}"
    return f"{digits[:6]}{signs[new_sign]}{digits[6:]}{check_character(digits)}"

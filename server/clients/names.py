"""Name keys for possible duplicates: the same person spelled a little differently in two systems.

The key is the last name and the *first* first name only (a second first name is often missing in one
system), lower case, with ä and å written a and ö written o (old systems and keyboards without them),
runs of spaces as one. Together with the birth date it finds possible duplicates; it never
decides that two clients are one.
"""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"ä": "a", "å": "a", "ö": "o", "'": "", "\u2019": ""})


def normalise(name: str) -> str:
    folded = unicodedata.normalize("NFC", name).casefold().translate(_FOLD)
    return " ".join(folded.split())


def name_key(first_names: str, last_name: str) -> str:
    first = normalise(first_names).split(" ", 1)[0] if first_names.strip() else ""
    return f"{normalise(last_name)}|{first}"

"""Case numbers (business keys) in one script, and finding a case by its number however it is typed.

A case number a person reads is Cyrillic: «КЦП-2027/ТПТ», «Перечень-2028/ДПР», «ИП/СХК/1». An organisation's
part is its short name from the registry when that is one Cyrillic word used by no other organisation (ТПТ),
else its code spelled in Cyrillic (``TPT`` → ТПТ). A search by case number ignores letter case and accepts the
Latin letters that look like Cyrillic ones (a user typing «KЦП-2027/TПT» on a Latin keyboard layout finds
«КЦП-2027/ТПТ»), and «ё» = «е».
"""

import re
import unicodedata

from sqlalchemy import func, select, update

from ...extensions import db
from ...models import Organisation, ProcessInstance

# Latin capitals that look like Cyrillic ones, as a user may type them by mistake (compared in upper case).
LOOK_ALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
CYRILLIC_WORD = re.compile(r"^[А-ЯЁа-яё0-9][А-ЯЁа-яё0-9\-]{0,31}$")
# Latin code → Cyrillic (digraphs first): the code ``SIBHIM`` reads «СИБХИМ», ``TPT`` reads «ТПТ»
_DIGRAPHS = (("SHCH", "Щ"), ("KH", "Х"), ("ZH", "Ж"), ("CH", "Ч"), ("SH", "Ш"), ("TS", "Ц"), ("YU", "Ю"), ("YA", "Я"))
_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWYZ", "АБЦДЕФГХИЙКЛМНОПКРСТУВВЫЗ", strict=True)) | {"X": "КС"}


def cyrillic(code: str) -> str:
    """A Latin organisation code spelled in Cyrillic (digits and punctuation kept)."""
    text = str(code).upper()
    for latin, cyr in _DIGRAPHS:
        text = text.replace(latin, cyr)
    return "".join(_LETTERS.get(ch, ch) for ch in text)


def org_part(org: Organisation) -> str:
    """The organisation's part of a case number: its short name if that is one Cyrillic word no other
    organisation uses, else its code in Cyrillic."""
    short = (org.short_name or "").strip()
    if CYRILLIC_WORD.match(short):
        others = db.session.execute(
            select(func.count(Organisation.id)).where(Organisation.short_name == short, Organisation.id != org.id)
        ).scalar_one()
        if not others:
            return short
    return cyrillic(org.code)


def fold(text: str) -> str:
    """What two spellings of one case number have in common: Cyrillic, lower case, «ё» as «е», no spaces."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().upper().translate(LOOK_ALIKES)
    return "".join(text.casefold().replace("ё", "е").split())


def matching_keys(typed: str, limit: int = 200) -> list[str]:
    """The stored case numbers that read as ``typed`` (its own spelling first, if stored).

    Each case keeps its number folded (``business_key_folded``, written when the case starts), so this is one
    index lookup, the same on SQLite and PostgreSQL whatever their collation.
    """
    typed = str(typed or "").strip()
    if not typed:
        return []
    found = (
        db.session.execute(
            select(ProcessInstance.business_key)
            .where(ProcessInstance.business_key_folded == fold(typed))
            .distinct()
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return sorted((key for key in found if key is not None), key=lambda k: (k != typed, k)) or [typed]


def unfolded_numbers(limit: int = 500) -> list[tuple[int, str]]:
    """(instance id, case number) of cases stored without the folded number: started by an older version of the
    code still serving while an upgrade ran migration 0026, after its back-fill. One lookup in a partial index."""
    rows = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key)
        .where(ProcessInstance.business_key_folded.is_(None), ProcessInstance.business_key.is_not(None))
        .limit(limit)
    ).all()
    return [(instance_id, key) for instance_id, key in rows if key is not None]


def store_folded(rows: list[tuple[int, str]]) -> None:
    """Write the folded numbers of ``unfolded_numbers`` (in the caller's unit of work)."""
    for instance_id, key in rows:
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(business_key_folded=fold(key))
            .execution_options(synchronize_session=False)
        )

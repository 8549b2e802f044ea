"""Translations: one gettext catalog (domain) per area under translations/<lang>/LC_MESSAGES/*.po.

Message ids are English; Russian is the default UI language. Catalogs are compiled to .mo at start-up
when the .po is newer, so a checkout needs no separate compile step; every domain is merged by Flask-Babel.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs() -> list[str]:
    domains = set()
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        domains.add(po.stem)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name, domain=po.stem)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)
    return sorted(domains) or ["messages"]


def configure(app) -> None:
    domains = compile_catalogs()
    app.config["BABEL_DOMAIN"] = ";".join(domains)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(TRANSLATIONS)] * len(domains))

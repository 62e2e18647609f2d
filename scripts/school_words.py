#!/usr/bin/env python3
"""Make the 児童 and the 生徒 catalogs from the Japanese one (docs/design.md §11).

Staff screens call pupils 児童生徒. A school that is only an elementary school
calls them 児童, a junior high or high school 生徒; classrooms.middleware
switches a member of such a school to the language `ja-elem` or `ja-sec`.
Their catalogs hold only the Japanese entries that say 児童生徒, with the word
replaced: every other string falls back to the Japanese catalog.

    scripts/school_words.py          write locale/ja_Elem and locale/ja_Sec (.po and .mo)
    scripts/school_words.py --check  exit 1 when they are out of date with locale/ja
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
SOURCE = LOCALE / "ja" / "LC_MESSAGES" / "django.po"
WORD = "児童生徒"
VARIANTS = {"ja_Elem": "児童", "ja_Sec": "生徒"}


def variant(source: polib.POFile, word: str) -> polib.POFile:
    catalog = polib.POFile(wrapwidth=source.wrapwidth)
    catalog.metadata = dict(source.metadata)
    catalog.header = f"Made by scripts/school_words.py from locale/ja: {WORD} reads {word}. Do not edit."
    for entry in source.translated_entries():
        if entry.obsolete or WORD not in entry.msgstr + "".join(entry.msgstr_plural.values()):
            continue
        if entry.msgctxt == "school type":
            continue  # the operator's choice of the word names all three as they are
        catalog.append(
            polib.POEntry(
                msgctxt=entry.msgctxt,
                msgid=entry.msgid,
                msgid_plural=entry.msgid_plural,
                msgstr=entry.msgstr.replace(WORD, word),
                msgstr_plural={n: text.replace(WORD, word) for n, text in entry.msgstr_plural.items()},
                flags=[flag for flag in entry.flags if flag != "fuzzy"],
            )
        )
    return catalog


def main(argv: list[str]) -> int:
    source = polib.pofile(str(SOURCE))
    stale = []
    for locale, word in VARIANTS.items():
        folder = LOCALE / locale / "LC_MESSAGES"
        text = str(variant(source, word))
        po_path = folder / "django.po"
        if "--check" in argv:
            if not po_path.exists() or po_path.read_text(encoding="utf-8") != text + "\n":
                stale.append(str(po_path))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        po_path.write_text(text + "\n", encoding="utf-8")
        polib.pofile(str(po_path)).save_as_mofile(str(folder / "django.mo"))
    if stale:
        sys.stderr.write(f"Out of date with locale/ja (run scripts/school_words.py): {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Check that the zh-Hans catalogue translates every message and that its .mo is current.

Run as ``python -m tobloop.web.i18n_check``; exits 1 with the untranslated messages listed.
"""

from __future__ import annotations

import gettext
import re
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGS = ("zh_Hans",)


def _unquote(chunks: list[str]) -> str:
    text = "".join(chunks)
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def read_po(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) entries; plural forms are checked by their first msgstr."""
    entries: list[tuple[str, str, bool]] = []
    fuzzy = False
    key: str | None = None
    parts: dict[str, list[str]] = {}
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in parts:
                msgstr = parts.get("msgstr", parts.get("msgstr[0]", []))
                entries.append((_unquote(parts["msgid"]), _unquote(msgstr), fuzzy))
            parts, key, fuzzy = {}, None, False
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif m := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line):
            key = m.group(1)
            parts[key] = [m.group(2)]
        elif line.startswith('"') and key:
            parts[key].append(line[1:-1])
    return [e for e in entries if e[0]]


def problems() -> list[str]:
    found: list[str] = []
    for lang in LANGS:
        po = LOCALE / lang / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        if not po.exists() or not mo.exists():
            return [f"{lang}: {po} or its .mo is missing"]
        catalogue = gettext.GNUTranslations(mo.open("rb"))
        for msgid, msgstr, fuzzy in read_po(po):
            if fuzzy or not msgstr:
                found.append(f"{lang}: untranslated: {msgid!r}")
            elif catalogue.gettext(msgid) != msgstr:
                found.append(f"{lang}: .mo is stale for {msgid!r} (run compilemessages)")
    return found


def main() -> int:
    issues = problems()
    for line in issues:
        print(line, file=sys.stderr)
    print(f"translations: {len(issues)} problem(s)")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())

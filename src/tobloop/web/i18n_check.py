"""Check that the zh-Hans catalogue translates every message and that its .mo is current.

Run as ``python -m tobloop.web.i18n_check``; exits 1 with the problems listed: a message
without a translation (or marked fuzzy), a plural without every form, a translation that drops
or invents a ``%(name)s`` placeholder, and a compiled .mo that disagrees with the .po.
"""

from __future__ import annotations

import gettext
import re
import sys
from dataclasses import dataclass
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGS = ("zh_Hans",)
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXr]|\{(\w+)\}")


@dataclass
class Entry:
    msgid: str
    msgstrs: list[str]
    plural: str | None = None
    context: str | None = None
    fuzzy: bool = False
    python_format: bool = False


def _unquote(chunks: list[str]) -> str:
    text = "".join(chunks)
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def read_entries(path: Path) -> list[Entry]:
    """Every active (not obsolete) entry of a .po file, header excluded."""
    entries: list[Entry] = []
    flags: set[str] = set()
    key: str | None = None
    parts: dict[str, list[str]] = {}

    def flush() -> None:
        if "msgid" in parts:
            forms = sorted(k for k in parts if k.startswith("msgstr["))
            msgstrs = [_unquote(parts[k]) for k in forms] or [_unquote(parts.get("msgstr", []))]
            entries.append(
                Entry(
                    msgid=_unquote(parts["msgid"]),
                    msgstrs=msgstrs,
                    plural=_unquote(parts["msgid_plural"]) if "msgid_plural" in parts else None,
                    context=_unquote(parts["msgctxt"]) if "msgctxt" in parts else None,
                    fuzzy="fuzzy" in flags,
                    python_format="python-format" in flags,
                )
            )

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            parts, key, flags = {}, None, set()
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
        elif m := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line):
            key = m.group(1)
            parts[key] = [m.group(2)]
        elif line.startswith('"') and key:
            parts[key].append(line[1:-1])
    return [e for e in entries if e.msgid]


def read_po(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) of every entry."""
    return [(e.msgid, e.msgstrs[0], e.fuzzy) for e in read_entries(path)]


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def _compiled(catalogue: gettext.GNUTranslations, entry: Entry) -> str:
    if entry.plural is not None:
        if entry.context is not None:
            return catalogue.npgettext(entry.context, entry.msgid, entry.plural, 1)
        return catalogue.ngettext(entry.msgid, entry.plural, 1)
    if entry.context is not None:
        return catalogue.pgettext(entry.context, entry.msgid)
    return catalogue.gettext(entry.msgid)


def _entry_problems(lang: str, entry: Entry, nplurals: int) -> list[str]:
    name = repr(entry.msgid) + (f" (context {entry.context!r})" if entry.context else "")
    if entry.fuzzy or not all(entry.msgstrs):
        return [f"{lang}: untranslated: {name}"]
    found = []
    if entry.plural is not None and len(entry.msgstrs) != nplurals:
        found.append(f"{lang}: {name} needs {nplurals} plural form(s)")
    if entry.python_format or _PLACEHOLDER.search(entry.msgid):
        wanted = _placeholders(entry.msgid) | _placeholders(entry.plural or "")
        # Without plurals, or with a single form used for every number, all must be kept.
        exact = entry.plural is None or nplurals == 1
        for text in entry.msgstrs:
            if _placeholders(text) - wanted or (exact and _placeholders(text) != wanted):
                found.append(f"{lang}: placeholders of {name} differ in {text!r}")
    return found


def problems() -> list[str]:
    found: list[str] = []
    for lang in LANGS:
        po = LOCALE / lang / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        if not po.exists() or not mo.exists():
            return [f"{lang}: {po} or its .mo is missing"]
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)
        counted = re.search(r"nplurals=(\d+)", catalogue.info().get("plural-forms", ""))
        nplurals = int(counted.group(1)) if counted else 1
        for entry in read_entries(po):
            issues = _entry_problems(lang, entry, nplurals)
            found.extend(issues)
            if not issues and _compiled(catalogue, entry) != entry.msgstrs[0]:
                found.append(f"{lang}: .mo is stale for {entry.msgid!r} (run compilemessages)")
    return found


def main() -> int:
    issues = problems()
    for line in issues:
        print(line, file=sys.stderr)
    print(f"translations: {len(issues)} problem(s)")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())

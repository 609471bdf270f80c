"""The translation check itself, Chinese number grouping and the money filter."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import translation

from tobloop.web import i18n_check
from tobloop.web.templatetags.ui import lookup, money

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
)


def test_the_shipped_catalogue_is_complete():
    assert i18n_check.problems() == []


def write_catalogue(tmp_path, body):
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "django.po"
    po.write_text(HEADER + body, encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(po)], check=True)
    return po


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_check_finds_gaps_fuzzy_lost_placeholders_and_stale_mo(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n_check, "LOCALE", tmp_path)
    po = write_catalogue(
        tmp_path,
        'msgid "Accounts"\nmsgstr "客户"\n\n'
        'msgctxt "API key status"\nmsgid "Active"\nmsgstr "有效"\n\n'
        '#, python-format\nmsgid "%(total)s account"\nmsgid_plural "%(total)s accounts"\n'
        'msgstr[0] "共 %(total)s 个客户"\n\n'
        'msgid "Missing"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guessed"\nmsgstr "猜的"\n\n'
        '#, python-format\nmsgid "Page %(number)s of %(pages)s"\nmsgstr "第 %(number)s 页"\n',
    )
    found = i18n_check.problems()
    assert found == [
        "zh_Hans: untranslated: 'Missing'",
        "zh_Hans: untranslated: 'Guessed'",
        "zh_Hans: placeholders of 'Page %(number)s of %(pages)s' differ in '第 %(number)s 页'",
    ]
    po.write_text(po.read_text(encoding="utf-8").replace('"客户"', '"客户们"'), encoding="utf-8")
    assert "zh_Hans: .mo is stale for 'Accounts' (run compilemessages)" in i18n_check.problems()


def test_chinese_pages_group_thousands():
    with translation.override("zh-hans"):
        assert intcomma(1234567) == "1,234,567"
        assert money(Decimal("95000.00"), "CNY") == "¥95,000"
        assert money(Decimal("1234.5"), "USD") == "US$1,234.50"
        assert money(Decimal("10"), "XYZ") == "10 XYZ"
    with translation.override("en"):
        assert intcomma(1234567) == "1,234,567"
        assert money(Decimal("95000"), "CNY") == "CNY 95,000"
    assert money(None, "CNY") == "—"


def test_lookup_falls_back_to_the_code():
    assert lookup({"mid": "Mid-size"}, "mid") == "Mid-size"
    assert lookup({"mid": "Mid-size"}, "new_code") == "new_code"
    assert lookup(None, "x") == "x"

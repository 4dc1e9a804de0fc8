"""The Chinese catalog is complete and its committed .mo matches the .po (CI has no GNU gettext)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # a PO string is a C string literal, which Python reads the same


def po_entries() -> dict[str | tuple[str, int], str]:
    """msgid (with context as 'ctxt\\x04id', plurals as (id, n)) -> msgstr, as gettext stores them."""
    out: dict[str | tuple[str, int], str] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if m:
                fields[m.group(1)] = _unquote(m.group(2))
        if "msgid" not in fields:
            continue
        key = fields["msgid"] if "msgctxt" not in fields else f"{fields['msgctxt']}\x04{fields['msgid']}"
        if "msgid_plural" in fields:
            out[(key, 0)] = fields["msgstr[0]"]
        else:
            out[key] = fields["msgstr"]
    return out


def test_every_string_is_translated() -> None:
    entries = po_entries()
    assert len(entries) > 250
    assert [k for k, v in entries.items() if not v] == []
    assert "fuzzy" not in PO.read_text(encoding="utf-8")


def test_compiled_catalog_matches_the_po() -> None:
    with MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    entries = po_entries()
    stale = {k: v for k, v in entries.items() if catalog.get(k) != v}
    assert stale == {}, "run `make messages` (or msgfmt) to recompile locale/zh_Hans/LC_MESSAGES/django.mo"

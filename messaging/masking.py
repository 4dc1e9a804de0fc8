"""Contact details masked in messages before a share is confirmed: the platform carries the deal.

Chinese mobile numbers (13812345678, 138 1234 5678, 138-1234-5678, +86 138...), other numbers written
in international form (+44 20 7946 0958), landlines with their area code (0571-88886666), e-mail
addresses, and messenger ids after their keyword (微信/WeChat/wx/vx/V信, QQ/扣扣, WhatsApp, Telegram,
Line: "wx: zhang_88", "QQ 12345678") become MASK.
Dates, quantities and prices are left alone: a Chinese mobile is eleven digits beginning 13-19, and a
bare run of digits is masked only after a messenger's keyword.
"""

from __future__ import annotations

import re

MASK = "***"

_SEP = "[\\s\\-\u2010\u2013\u2014.]?"
# Not inside a longer run of digits (an order number, a tracking code).
_CN_MOBILE = re.compile(rf"(?<![0-9])(?:(?:\+|00)?86{_SEP})?1[3-9][0-9](?:{_SEP}[0-9]){{8}}(?![0-9])")
# A landline with its area code, written with a separator: 0571-88886666, (021) 6234 5678.
_CN_LANDLINE = re.compile(r"(?<![0-9])\(?0[1-9][0-9]{1,2}\)?[\s\-][0-9]{3,4}[\s\-]?[0-9]{4}(?![0-9])")
_INTERNATIONAL = re.compile(r"(?<![0-9A-Za-z])(?:\+|00)[1-9][0-9](?:[\s\-.()]*[0-9]){6,13}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9\-]+(?:\s*(?:\.|\(dot\))\s*[A-Za-z0-9\-]+)+")
_KEYWORDS = r"微信号?|威信|[vV]信|薇信|wechat|weixin|wx|vx|qq|扣扣|企鹅|whats\s?app|telegram|line\s?id|飞书|钉钉"
_MESSENGER = re.compile(
    rf"(?<![A-Za-z])(?P<keyword>{_KEYWORDS})(?P<sep>\s*(?:号码|号|id|ID|是|为|[:=\-@])?\s*)"
    r"(?P<id>[A-Za-z][A-Za-z0-9_\-]{4,19}|[0-9](?:[\s\-]?[0-9]){4,11})(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
# Full-width digits and letters (U+FF10.., U+FF21..) are folded first, so they cannot slip past the patterns.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def mask_contacts(text: str) -> tuple[str, bool]:
    """The text with contact details replaced by MASK, and whether anything was replaced."""
    folded = text.translate(_FULL_WIDTH)
    masked = _MESSENGER.sub(lambda m: f"{m['keyword']}{m['sep']}{MASK}", folded)
    masked = _EMAIL.sub(MASK, masked)
    masked = _CN_MOBILE.sub(MASK, masked)
    masked = _INTERNATIONAL.sub(MASK, masked)
    masked = _CN_LANDLINE.sub(MASK, masked)
    if masked == folded:
        return text, False
    return masked, True

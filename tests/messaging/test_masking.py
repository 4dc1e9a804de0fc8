"""Contact details in messages before a share is confirmed: a table of what is masked and what is not."""

from __future__ import annotations

import pytest

from messaging.masking import MASK, mask_contacts

FULL_WIDTH_DIGITS = {ord(d): ord(d) + 0xFEE0 for d in "0123456789"}
MASKED = [
    ("call 13812345678 now", f"call {MASK} now"),
    ("138 1234 5678", MASK),
    ("138-1234-5678", MASK),
    ("+86 138 1234 5678", MASK),
    ("+86-138-1234-5678", MASK),
    ("+8613812345678", MASK),
    ("008613812345678", MASK),
    ("电话\uff1a13912345678\uff0c谢谢", f"电话:{MASK},谢谢"),  # full-width colon and comma
    ("13812345678".translate(FULL_WIDTH_DIGITS), MASK),
    ("landline 0571-88886666", f"landline {MASK}"),
    ("(021) 6234 5678", MASK),
    ("WhatsApp +44 7911 123456", f"WhatsApp {MASK}"),
    ("mail me a.b@x.cn please", f"mail me {MASK} please"),
    ("sales @ factory . com.cn", MASK),
    ("ivy(at)gmail(dot)com", MASK),
    ("加我微信 zhang_san88", f"加我微信 {MASK}"),
    ("微信号\uff1awxid_abc123", f"微信号:{MASK}"),
    ("wx: abc12345", f"wx: {MASK}"),
    ("vx abc123", f"vx {MASK}"),
    ("V信 hello_2024", f"V信 {MASK}"),
    ("WeChat: lily_cn", f"WeChat: {MASK}"),
    ("QQ: 12345678", f"QQ: {MASK}"),
    ("QQ 1234 5678", f"QQ {MASK}"),
    ("扣扣 88888888", f"扣扣 {MASK}"),
    ("telegram @ivy_sewing", f"telegram @{MASK}"),
]
KEPT = [
    "ship by 2026-12-04, 5000 pcs at 25.00",
    "we can do 10000 pieces by 2027-01-15",
    "order 12345678901234 and tracking SF1234567890123",
    "size M 40, L 60; AQL 2.5",
    "the price is 23.50 per piece for 1200 pcs",
    "我们可以做\uff0c交期 2026年12月20日",
    "",
]


@pytest.mark.parametrize(("text", "shown"), MASKED)
def test_contacts_are_masked(text: str, shown: str) -> None:
    assert mask_contacts(text) == (shown, True)


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask_contacts(text) == (text, False)

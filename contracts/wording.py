"""The purchase order's wording, in both languages at once.

A contract states its terms the same way to both parties, so the document carries English and
Simplified Chinese side by side, fixed here rather than taken from the translation catalogue (a
document already issued must not read differently after a catalogue change).
"""

from __future__ import annotations

from django.utils import translation

# key -> (English, Simplified Chinese)
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Purchase order", "采购订单"),
    "amendment": ("Amendment", "修订"),
    "amends": ("Amends purchase order", "修订采购订单"),
    "reason": ("Reason", "修订原因"),
    "number": ("Number", "编号"),
    "issued": ("Issued", "签发日期"),
    "buyer": ("Buyer", "买方"),
    "supplier": ("Manufacturer", "生产方"),
    "region": ("Region", "地区"),
    "style": ("Style", "款式"),
    "order": ("Order", "订单"),
    "category": ("Category", "品类"),
    "fabric": ("Fabric", "面料"),
    "processes": ("Processes", "工艺"),
    "quantities": ("Quantities", "数量"),
    "colour": ("Colour", "颜色"),
    "size": ("Size", "尺码"),
    "total_pieces": ("Total pieces", "总件数"),
    "price": ("Price", "价格"),
    "unit_price": ("Unit price", "单价"),
    "total": ("Total value", "总金额"),
    "dates": ("Dates", "交期"),
    "ship_by": ("Ship by", "最迟发货日期"),
    "due_date": ("Due at the buyer", "到货日期"),
    "quality": ("Quality control", "质量检验"),
    "standard": ("Sampling standard", "抽样标准"),
    "inspection_level": ("Inspection level", "检验水平"),
    "aql": ("AQL (critical / major / minor)", "AQL（致命 / 严重 / 轻微）"),  # noqa: RUF001 (Chinese punctuation)
    "payment": ("Payment", "付款条件"),
    "deposit": ("Deposit on issue", "签发时定金"),
    "balance": ("Balance at shipment", "发货时尾款"),
    "release": ("Released to the manufacturer on the buyer's confirmed receipt", "买方确认收货后支付给生产方"),
    "late": ("Late delivery", "延迟交货"),
    "penalty": ("Penalty per day shipped after the ship-by date", "超过最迟发货日期每天违约金"),
    "cap": ("Capped at", "违约金上限"),
    "binding": (
        "Issued by the c2m marketplace when the manufacturer confirmed the share. This revision is final: "
        "a change of terms is issued as a numbered amendment.",
        "本订单在生产方确认后由 c2m 平台签发。本版本不可更改：条款变更将以编号修订单签发。",  # noqa: RUF001
    ),
}


def label(key: str) -> tuple[str, str]:
    return LABELS[key]


def chinese_name(english: str) -> str:
    """A catalog name (category, fabric, process) in Chinese, from the translation catalogue if it has it."""
    with translation.override("zh-hans"):
        translated = translation.gettext(english)
    return "" if translated == english else translated

"""Translated names for the codes the pages show: statuses, stages, match reasons and the catalog.

Models keep English labels (the API's contract); the pages translate by code here, so the
catalogue of visible strings is in one place that `makemessages` extracts.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from matching import engine

ORDER_STATUS = {
    "matching": _("Matching"),
    "confirmed": _("Confirmed"),
    "in_production": pgettext_lazy("order status", "In production"),
    "shipped": pgettext_lazy("order status", "Shipped"),
    "delivered": pgettext_lazy("order status", "Delivered"),
    "unmatched": _("Unmatched"),
    "cancelled": pgettext_lazy("order status", "Cancelled"),
}

ALLOCATION_STATUS = {
    "offered": _("Offered"),
    "sampling": _("Sample first"),
    "accepted": _("Accepted"),
    "declined": _("Declined"),
    "expired": _("Expired"),
    "withdrawn": _("Withdrawn"),
    "cancelled": pgettext_lazy("allocation status", "Cancelled"),
    "in_production": pgettext_lazy("allocation status", "In production"),
    "shipped": pgettext_lazy("allocation status", "Shipped"),
    "delivered": pgettext_lazy("allocation status", "Delivered"),
}

STAGE = {
    "cut": _("Cutting"),
    "sew": _("Sewing"),
    "finish": _("Finishing"),
    "qc": _("Quality control"),
    "pack": _("Packing"),
}

FACTORY_STATUS = {"pending": _("Pending verification"), "active": _("Active"), "paused": _("Paused")}

MATCH_REASON = {
    engine.REASON_CATEGORY: _("do not make this category"),
    engine.REASON_PROCESS: _("lack a required process"),
    engine.REASON_FABRIC: _("do not work this fabric"),
    engine.REASON_BELOW_MIN: _("have a minimum quantity above this order"),
    engine.REASON_ABOVE_MAX: _("have a maximum quantity below this order"),
    engine.REASON_NO_WINDOW: _("have no sewing day left before the ship-by date"),
    engine.REASON_FULL: _("are too full before the due date"),
    engine.REASON_ALREADY_TRIED: _("were already offered this order"),
    engine.REASON_RANKED_LOWER: _("could make it but ranked lower"),
    engine.REASON_RACE: _("lost their capacity to another order at the same moment"),
}

# One-tap decline reasons: stored as codes so the dashboard can count them.
DECLINE_REASONS = {
    "no_capacity": _("No free capacity"),
    "price_too_low": _("Price too low"),
    "due_date_too_tight": _("Due date too tight"),
    "not_our_product": _("Not our kind of product"),
    "material_unavailable": _("Material unavailable"),
}

EVENT_KIND = {
    "created": _("Order posted"),
    "status": _("Order status changed"),
    "allocation": _("Share status changed"),
    "offered": _("Offered to a factory"),
    "progress": _("Production reported"),
    "rerouted": _("Share re-routed to another factory"),
    "countered": _("A factory made a counter-offer"),
    "sample": _("Sample"),
}

CATEGORY = {
    "tshirt": _("T-shirt"),
    "polo": _("Polo shirt"),
    "leggings": _("Leggings"),
    "underwear": _("Underwear"),
    "hoodie": _("Hoodie / sweatshirt"),
    "shirt": _("Woven shirt / blouse"),
    "skirt": _("Skirt"),
    "dress": _("Dress"),
    "trousers": _("Trousers"),
    "jeans": _("Jeans"),
    "jacket": _("Casual jacket"),
    "down_jacket": _("Down jacket"),
    "suit_jacket": _("Suit jacket"),
    "sweater": _("Knit sweater"),
    "kids_set": _("Children's wear set"),
}

PROCESS = {
    "cutting": _("Cutting"),
    "sewing": _("Sewing"),
    "finishing": _("Finishing & packing"),
    "printing": _("Screen printing"),
    "digital_printing": _("Digital printing"),
    "embroidery": _("Embroidery"),
    "washing": _("Garment washing"),
    "knitting": _("Knitting"),
}

FABRIC = {
    "woven": _("Woven (cotton, poly blends)"),
    "knit": _("Knit jersey"),
    "denim": _("Denim"),
    "fleece": _("Fleece"),
    "silk": _("Silk / satin"),
    "wool": _("Wool"),
    "chiffon": _("Chiffon"),
    "yarn": _("Yarn (for knitwear)"),
    "down": _("Down-filled shell"),
}

REGION = {
    "guangzhou-panyu": _("Panyu, Guangzhou"),
    "guangzhou-xintang": _("Xintang (Zengcheng), Guangzhou"),
    "dongguan-humen": _("Humen, Dongguan"),
    "dongguan-dalang": _("Dalang, Dongguan"),
    "shenzhen-nanyou": _("Nanyou, Shenzhen"),
    "zhuzhou-lusong": _("Lusong, Zhuzhou"),
    "hangzhou": _("Hangzhou (Sijiqing, Linping)"),
    "tongxiang-puyuan": _("Puyuan, Tongxiang"),
    "huzhou-zhili": _("Zhili, Huzhou"),
    "ningbo": _("Ningbo"),
    "changshu": _("Changshu"),
    "shishi-jinjiang": _("Shishi and Jinjiang"),
    "qingdao": _("Qingdao"),
    "shanghai": _("Shanghai"),
    "beijing": _("Beijing"),
    "urumqi": _("Urumqi"),
}

_CATALOG_TABLES: dict[str, Mapping[str, Promise | str]] = {
    "category": CATEGORY,
    "process": PROCESS,
    "fabric": FABRIC,
    "region": REGION,
}


def catalog_name(obj: Model) -> str:
    """The translated name of a catalog row; rows added later by admins keep their stored name."""
    table = _CATALOG_TABLES.get(obj._meta.model_name or "", {})
    label = table.get(str(obj.pk))
    return str(label) if label is not None else str(obj)


def label(table: Mapping[str, Promise | str], code: str) -> str:
    value = table.get(code)
    return str(value) if value is not None else code

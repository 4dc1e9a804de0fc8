"""Parcel shipping days between garment provinces (door to door, express).

Rules of thumb: same province 1 day; neighbouring provinces 2; across the east and south 3;
to the far west 5. Pure data and one function: the engine imports it without the ORM.
"""

NEIGHBOURS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        ("Guangdong", "Hunan"),
        ("Guangdong", "Fujian"),
        ("Guangdong", "Guangxi"),
        ("Guangdong", "Jiangxi"),
        ("Zhejiang", "Jiangsu"),
        ("Zhejiang", "Shanghai"),
        ("Jiangsu", "Shanghai"),
        ("Zhejiang", "Fujian"),
        ("Zhejiang", "Anhui"),
        ("Zhejiang", "Jiangxi"),
        ("Jiangsu", "Anhui"),
        ("Jiangsu", "Shandong"),
        ("Hunan", "Hubei"),
        ("Hunan", "Jiangxi"),
        ("Fujian", "Jiangxi"),
        ("Shandong", "Hebei"),
        ("Hebei", "Beijing"),
    ]
)
FAR_WEST = frozenset({"Xinjiang", "Tibet", "Qinghai"})


def shipping_days(from_province: str | None, to_province: str | None) -> int:
    """Express parcel days from one province to another; unknown provinces count as across the country."""
    if not from_province or not to_province:
        return 3
    if from_province == to_province:
        return 1
    if from_province in FAR_WEST or to_province in FAR_WEST:
        return 5
    if frozenset((from_province, to_province)) in NEIGHBOURS:
        return 2
    return 3

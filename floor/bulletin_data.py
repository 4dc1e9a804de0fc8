"""Default operation bulletins as data: sewing operations with machine and SAM per category.

Each list sums exactly to the category's default SAM in factories.catalog_data (checked by a test), so
an order's bulletin-derived SAM equals what matching assumed until somebody edits it. Figures are
typical mid-range times for basic styles; a factory's industrial engineer refines the order's copy.
Loaded by floor's data migration 0002; DEFECT_TYPES likewise.
"""

# category code -> [(code, name, machine, SAM)], in sewing sequence
BULLETINS: dict[str, list[tuple[str, str, str, str]]] = {
    "tshirt": [
        ("shoulder_join", "Shoulder join", "overlock", "0.60"),
        ("neck_rib_attach", "Neck rib attach", "overlock", "1.10"),
        ("back_neck_tape", "Back neck tape", "lockstitch", "0.90"),
        ("neck_topstitch", "Neck top-stitch", "coverstitch", "0.70"),
        ("label_attach", "Label attach", "lockstitch", "0.50"),
        ("sleeve_attach", "Sleeve attach", "overlock", "1.60"),
        ("side_seam", "Side seam with sleeve", "overlock", "1.80"),
        ("sleeve_hem", "Sleeve hem", "coverstitch", "1.10"),
        ("bottom_hem", "Bottom hem", "coverstitch", "0.90"),
        ("trim_inspect", "Thread trimming and inspection", "manual", "0.80"),
    ],
    "shirt": [
        ("collar_make", "Collar making", "lockstitch", "3.50"),
        ("cuff_make", "Cuff making", "lockstitch", "2.50"),
        ("front_placket", "Front placket", "lockstitch", "1.80"),
        ("pocket_attach", "Pocket attach", "lockstitch", "1.20"),
        ("yoke_attach", "Yoke attach", "lockstitch", "1.50"),
        ("shoulder_join", "Shoulder join", "lockstitch", "1.00"),
        ("collar_attach", "Collar attach", "lockstitch", "2.20"),
        ("sleeve_placket", "Sleeve placket", "lockstitch", "1.80"),
        ("sleeve_attach", "Sleeve attach", "lockstitch", "1.60"),
        ("side_seam", "Side seam", "feed_off_arm", "1.70"),
        ("cuff_attach", "Cuff attach", "lockstitch", "1.60"),
        ("bottom_hem", "Bottom hem", "lockstitch", "1.00"),
        ("buttonhole", "Buttonholes", "buttonhole", "0.35"),
        ("button_sew", "Button sewing", "button", "0.25"),
    ],
    "jeans": [
        ("front_pocket", "Front pocket facing and bag", "lockstitch", "2.00"),
        ("coin_pocket", "Coin pocket", "lockstitch", "0.60"),
        ("fly_zip", "Fly and zip", "lockstitch", "2.20"),
        ("back_yoke", "Back yoke", "feed_off_arm", "1.00"),
        ("back_pockets", "Back pockets attach", "lockstitch", "2.00"),
        ("seat_seam", "Seat seam", "feed_off_arm", "0.80"),
        ("inseam", "Inseam", "feed_off_arm", "1.40"),
        ("side_seam", "Side seam", "overlock", "1.60"),
        ("waistband", "Waistband attach", "waistband", "2.00"),
        ("belt_loops", "Belt loops make and attach", "bartack", "1.40"),
        ("hem", "Leg hem", "lockstitch", "1.00"),
        ("bartacks", "Bartacks", "bartack", "0.80"),
        ("buttonhole_rivets", "Buttonhole and rivets", "buttonhole", "1.20"),
    ],
    "dress": [
        ("bodice_darts", "Bodice darts", "lockstitch", "1.50"),
        ("shoulder_join", "Shoulder join", "overlock", "0.80"),
        ("neck_facing", "Neckline facing", "lockstitch", "2.50"),
        ("armhole_finish", "Armhole finishing", "lockstitch", "2.40"),
        ("bodice_side_seams", "Bodice side seams", "overlock", "1.40"),
        ("skirt_panels", "Skirt panels join", "overlock", "2.20"),
        ("waist_seam", "Waist seam", "overlock", "1.80"),
        ("invisible_zip", "Invisible zip", "lockstitch", "3.00"),
        ("lining_attach", "Lining attach", "lockstitch", "4.00"),
        ("hem", "Blind hem", "blindstitch", "2.20"),
        ("label_trims", "Label and trims", "lockstitch", "0.80"),
        ("trim_inspect", "Thread trimming and inspection", "manual", "2.40"),
    ],
    "hoodie": [
        ("hood_panels", "Hood panels join", "overlock", "1.20"),
        ("hood_facing", "Hood lining and facing", "lockstitch", "2.00"),
        ("eyelets", "Drawcord eyelets", "eyelet", "0.60"),
        ("kangaroo_pocket", "Kangaroo pocket attach", "coverstitch", "2.00"),
        ("shoulder_join", "Shoulder join", "overlock", "0.80"),
        ("hood_attach", "Hood attach", "overlock", "1.60"),
        ("sleeve_attach", "Sleeve attach", "overlock", "1.80"),
        ("side_seam", "Side seam with sleeve", "overlock", "2.00"),
        ("cuffs_attach", "Cuffs attach", "overlock", "1.80"),
        ("waistband_rib", "Waistband rib attach", "overlock", "1.60"),
        ("label_attach", "Label attach", "lockstitch", "0.60"),
        ("trim_inspect", "Thread trimming and inspection", "manual", "2.00"),
    ],
}

# code, name, major?
DEFECT_TYPES = [
    ("broken_stitch", "Broken stitch", True),
    ("skipped_stitch", "Skipped stitch", True),
    ("open_seam", "Open seam", True),
    ("puckering", "Seam puckering", False),
    ("uneven_hem", "Uneven hem", False),
    ("measurement", "Measurement out of tolerance", True),
    ("stain", "Stain or oil mark", True),
    ("shading", "Shade variation", True),
    ("fabric_hole", "Fabric hole", True),
    ("loose_thread", "Untrimmed thread", False),
    ("wrong_label", "Wrong or missing label", True),
]

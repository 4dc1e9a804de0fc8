"""Seed the default operation bulletins (tshirt, shirt, jeans, dress, hoodie) and the QC defect types."""

from django.db import migrations

from floor import bulletin_data


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    Category = apps.get_model("factories", "Category")
    Bulletin = apps.get_model("floor", "Bulletin")
    BulletinOperation = apps.get_model("floor", "BulletinOperation")
    DefectType = apps.get_model("floor", "DefectType")
    for category_code, operations in bulletin_data.BULLETINS.items():
        category = Category.objects.filter(pk=category_code).first()
        if category is None:
            continue
        bulletin, _ = Bulletin.objects.get_or_create(category=category, order=None)
        for sequence, (code, name, machine, sam) in enumerate(operations, start=1):
            BulletinOperation.objects.update_or_create(
                bulletin=bulletin,
                code=code,
                defaults={"sequence": sequence, "name": name, "machine": machine, "stage": "sew", "sam": sam},
            )
    for code, name, major in bulletin_data.DEFECT_TYPES:
        DefectType.objects.update_or_create(code=code, defaults={"name": name, "major": major})


class Migration(migrations.Migration):
    dependencies = [("floor", "0001_initial"), ("factories", "0002_catalog")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

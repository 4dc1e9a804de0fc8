"""Load the catalog of codes (categories with SAM, processes, fabrics, regions)."""

from django.db import migrations

from factories import catalog_data


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    Category = apps.get_model("factories", "Category")
    Process = apps.get_model("factories", "Process")
    Fabric = apps.get_model("factories", "Fabric")
    Region = apps.get_model("factories", "Region")
    for code, name, sam in catalog_data.CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name, "default_sam": sam})
    for code, name, minutes, days in catalog_data.PROCESSES:
        Process.objects.update_or_create(
            code=code, defaults={"name": name, "added_minutes": minutes, "added_days": days}
        )
    for code, name, lead in catalog_data.FABRICS:
        Fabric.objects.update_or_create(code=code, defaults={"name": name, "lead_days": lead})
    for code, name, province in catalog_data.REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "province": province})


class Migration(migrations.Migration):
    dependencies = [("factories", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Each allocation's phone reports, summed per stage into its StageTotal (the floor adds its scans)."""

from django.db import migrations
from django.db.models import Max, Min, Sum


def forwards(apps, schema_editor):
    ProgressReport = apps.get_model("orders", "ProgressReport")
    StageTotal = apps.get_model("orders", "StageTotal")
    rows = (
        ProgressReport.objects.values("allocation_id", "stage")
        .annotate(q=Sum("quantity"), d=Sum("defects"), first=Min("reported_at"), last=Max("reported_at"))
        .order_by()
    )
    StageTotal.objects.bulk_create(
        [
            StageTotal(
                allocation_id=r["allocation_id"],
                stage=r["stage"],
                reported_pieces=r["q"] or 0,
                reported_defects=r["d"] or 0,
                first_at=r["first"],
                last_at=r["last"],
            )
            for r in rows
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_stage_total")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

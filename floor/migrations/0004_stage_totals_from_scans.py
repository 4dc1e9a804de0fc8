"""What the floor's scans show per stage, written into each allocation's StageTotal (as ingest now does)."""

from collections import defaultdict

from django.db import migrations


def forwards(apps, schema_editor):
    Total = apps.get_model("floor", "AllocationOperationTotal")
    Operation = apps.get_model("floor", "BulletinOperation")
    StageTotal = apps.get_model("orders", "StageTotal")
    stage_ops = defaultdict(set)
    for op_id, bulletin_id, stage in Operation.objects.values_list("pk", "bulletin_id", "stage"):
        stage_ops[(bulletin_id, stage)].add(op_id)
    grouped = defaultdict(list)
    for t in Total.objects.select_related("operation").iterator():
        grouped[(t.allocation_id, t.operation.bulletin_id, t.operation.stage)].append(t)
    for (allocation_id, bulletin_id, stage), rows in grouped.items():
        ops = stage_ops[(bulletin_id, stage)]
        good = min(r.pieces - r.defects for r in rows) if len(rows) == len(ops) else 0
        row, created = StageTotal.objects.get_or_create(
            allocation_id=allocation_id,
            stage=stage,
            defaults={"first_at": min(r.first_at for r in rows), "last_at": max(r.last_at for r in rows)},
        )
        row.scanned_pieces = max(good, 0)
        row.scanned_defects = sum(r.defects for r in rows)
        row.last_at = max([row.last_at, *(r.last_at for r in rows)])
        row.save()


class Migration(migrations.Migration):
    dependencies = [
        ("floor", "0003_order_bulletin_sam"),
        ("orders", "0005_stage_totals_from_reports"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

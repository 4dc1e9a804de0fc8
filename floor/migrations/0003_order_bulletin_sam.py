"""Write each order's bulletin sum down on the order (orders.Order.bulletin_sam), which matching reads."""

from django.db import migrations
from django.db.models import Sum


def forwards(apps, schema_editor):
    Bulletin = apps.get_model("floor", "Bulletin")
    Order = apps.get_model("orders", "Order")
    for bulletin in Bulletin.objects.filter(order__isnull=False).annotate(total=Sum("operations__sam")):
        if bulletin.total:
            Order.objects.filter(pk=bulletin.order_id).update(bulletin_sam=bulletin.total)


class Migration(migrations.Migration):
    dependencies = [
        ("floor", "0002_seed_bulletins"),
        ("orders", "0003_order_bulletin_sam"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

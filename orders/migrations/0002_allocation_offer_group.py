from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="offer_group",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="charge",
            name="not_billable",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="suspenseitem",
            name="payment",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="claim",
            name="payer_sequence",
            field=models.CharField(choices=[("P", "Primary"), ("S", "Secondary")], default="P", max_length=1),
        ),
        migrations.AddField(
            model_name="claim",
            name="primary_claim",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="secondary_claims", to="billing.claim"),
        ),
        migrations.AddField(
            model_name="claim",
            name="other_payer",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["payer_claim_number"], name="claim_payer_number"),
        ),
    ]

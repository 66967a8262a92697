"""Store stock reservation release reasons as ReleaseReason codes instead of translated texts.

Until now the reason was translated when the reservation was released, in the language that
was active then: English in the workers (LANGUAGE_CODE "en"), German for an admin user who
cancelled an order in German or with LANGUAGE_CODE "de". Both texts of each reason map to its
code, in the reservations and in the "<order>: <reason>" reference of the release movements.
Any other text stays as stored, and the admin shows it as it is.
"""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat, Left, Length

# The texts that the callers of release_orders stored, by the code that replaces them. The
# first text of each code is the English one, which the reverse migration writes back.
TEXTS_BY_CODE = {
    "order_cancelled": ["order cancelled", "Bestellung storniert"],
    "erp_holds_stock": ["Odoo holds the stock of the confirmed order", "Odoo hält den Bestand für den bestätigten Auftrag"],
}


def _replace(apps, replacements):
    """Replace each (old, new) reason in reservations and at the end of release movement references."""
    StockReservation = apps.get_model("catalog", "StockReservation")
    StockMovement = apps.get_model("catalog", "StockMovement")
    for old, new in replacements:
        StockReservation.objects.filter(release_reason=old).update(release_reason=new)

        suffix = f": {old}"
        StockMovement.objects.filter(reason="release", reference__endswith=suffix).update(
            reference=Concat(Left("reference", Length("reference") - len(suffix)), Value(f": {new}"), output_field=models.CharField())
        )


def texts_to_codes(apps, schema_editor):
    _replace(apps, [(text, code) for code, texts in TEXTS_BY_CODE.items() for text in texts])


def codes_to_texts(apps, schema_editor):
    _replace(apps, [(code, texts[0]) for code, texts in TEXTS_BY_CODE.items()])


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_stock_reservation_order_line"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stockreservation",
            name="release_reason",
            field=models.CharField(
                blank=True,
                choices=[("order_cancelled", "order cancelled"), ("erp_holds_stock", "ERP holds the stock of the confirmed order")],
                max_length=255,
                verbose_name="release reason",
            ),
        ),
        migrations.RunPython(texts_to_codes, codes_to_texts),
    ]

from django.db import migrations, models
from django.db.models import Q


def mark_messages_that_were_tried(apps, schema_editor):
    # Earlier attempts left no record of whether they reached the remote system. A message that
    # was tried or failed may have, so it keeps the old rule: a cancellation does not withdraw it.
    # Failed messages count too, because a retry from the admin makes them pending again. The
    # delivered ones are left alone, so a long history is not rewritten.
    OutboundMessage = apps.get_model("integrations", "OutboundMessage")
    OutboundMessage.objects.filter(state__in=["pending", "in_flight", "superseded", "failed"]).filter(
        Q(attempts__gt=0) | ~Q(error_code="") | ~Q(last_error="") | Q(state="in_flight")
    ).update(may_have_reached=True)


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0010_sync_error_open_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="may_have_reached",
            field=models.BooleanField(
                default=False,
                help_text="An attempt sent a request that the remote system may have carried out, even if the attempt failed.",
                verbose_name="may have reached the remote system",
            ),
        ),
        migrations.RunPython(mark_messages_that_were_tried, migrations.RunPython.noop),
    ]

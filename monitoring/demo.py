"""Demo step for `make run`: alert rules and a notification channel, so alerting has examples.

The rules cover every enabled connection. Their names are written in LANGUAGE_CODE, the language
of the alerts themselves. An installation that has any alert rule keeps its own and gets none.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from monitoring.models import AlertRule, ChannelKind, NotificationChannel, RuleKind

logger = logging.getLogger(__name__)

# The demo order stream sends about one order a second (integrations.odoo.demo.STREAM_RATE), so
# more than 20 orders waiting all through 5 minutes means the ERP stopped taking them.
# NOTE: sized from the stream's rate, not from a measured backlog of a running demo.
ORDER_BACKLOG_THRESHOLD = 20
ORDER_BACKLOG_MINUTES = 5

# The address goes nowhere: the embedded default prints email to the console (EMAIL_URL).
DEMO_RECIPIENTS = "support@example.com"


def demo_rules():
    """Return the field values of each demo rule, named in the active language."""
    return [
        {
            "name": gettext("Orders wait for the ERP"),
            "kind": RuleKind.ORDER_BACKLOG,
            "threshold": ORDER_BACKLOG_THRESHOLD,
            "window_minutes": ORDER_BACKLOG_MINUTES,
        },
        {
            # At least 5 failed items, and at least 10 % of the items of the last 30 minutes.
            "name": gettext("Sync errors rising"),
            "kind": RuleKind.ERROR_RATE,
            "threshold": 10,
            "minimum_count": 5,
            "window_minutes": 30,
        },
        {
            # Fires when stock, prices or orders wait longer than the hot target (1 min by default),
            # or catalog and customer changes longer than the master target (15 min).
            "name": gettext("Changes wait longer than their target"),
            "kind": RuleKind.LAG,
        },
        {
            "name": gettext("Connection unreachable"),
            "kind": RuleKind.CIRCUIT_OPEN,
        },
    ]


def create_demo_alert_rules(stdout):
    """Create the demo's alert rules and their email channel; skip when any alert rule exists."""
    if not settings.SANDBOX_ENABLED:
        stdout.write("Sandbox is off: the demo alert rules are not created.\n")
        return
    existing = AlertRule.objects.count()
    if existing:
        stdout.write(f"Alert rules: {existing} present, the demo adds none.\n")
        return

    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        channel = NotificationChannel.objects.create(
            name=gettext("Support (demo, printed to the console)"), kind=ChannelKind.EMAIL, recipients=DEMO_RECIPIENTS
        )
        rules = [AlertRule.objects.create(**fields) for fields in demo_rules()]
        for rule in rules:
            rule.channels.set([channel])

    logger.info("demo alert rules created", extra={"rule_ids": [rule.pk for rule in rules], "channel_id": channel.pk})
    stdout.write(f"Alert rules: {len(rules)} demo rules created ({', '.join(rule.name for rule in rules)}).\n")

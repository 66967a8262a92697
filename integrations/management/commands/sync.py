"""Run one connection's pull or push once, in the foreground, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from integrations.domains import Domain
from integrations.models import (
    Connection,
    OutboundMessage,
    OutboundState,
    SyncRunKind,
    SyncRunState,
)
from integrations.services.batches import hold_back_streams
from integrations.services.cursors import run_delta_pull
from integrations.services.delivery import claimable, deliver_message
from integrations.services.syncruns import count_outcome, finish_sync_run, start_sync_run

# States of deliver_message and the sync run counter each adds to.
PUSH_OUTCOMES = {
    OutboundState.DELIVERED: "updated",
    OutboundState.SKIPPED: "skipped",
    OutboundState.FAILED: "failed",
}


class Command(BaseCommand):
    help = "Pull changes from or push pending changes to one connection once, in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("connection", help="Slug of the connection.")
        parser.add_argument("--entity", choices=Domain.values, help="Only this entity. Default: every entity of the connection.")
        parser.add_argument("--direction", choices=["pull", "push"], default="pull", help="pull reads changes, push sends pending outbound messages. Default: pull.")

    def handle(self, *args, connection, entity, direction, **options):
        try:
            connection = Connection.objects.get(slug=connection)
        except Connection.DoesNotExist:
            slugs = ", ".join(Connection.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No connection with the slug {connection!r}. Existing slugs: {slugs}.") from None
        if not connection.enabled:
            raise CommandError(f"Connection {connection.slug!r} is disabled. Enable it in the admin first.")

        if direction == "pull":
            runs = self._pull(connection, entity)
        else:
            runs = [self._push(connection, entity)]

        # A non-zero exit lets batch jobs and cron notice a run that did not fully succeed.
        unsuccessful = [run for run in runs if run.state != SyncRunState.SUCCEEDED]
        if unsuccessful:
            raise CommandError(
                f"{len(unsuccessful)} of {len(runs)} runs did not succeed; see the sync errors of "
                f"{connection.slug!r} in the admin."
            )

    def _entities(self, connection, entity, pulls):
        if entity:
            return [entity]
        entities = connection.entities.filter(enabled=True)
        return [item.entity for item in entities if (item.pulls if pulls else item.pushes)]

    def _pull(self, connection, entity):
        entities = self._entities(connection, entity, pulls=True)
        if not entities:
            raise CommandError(f"Connection {connection.slug!r} pulls no entity. Pass --entity or set its entities in the admin.")
        # Checked before the first run, because a run for an entity that is not pulled would
        # only record an internal error for support to clear.
        unsupported = [name for name in entities if name not in connection.connector.pulled_entities()]
        if unsupported:
            raise CommandError(self._not_pulled_message(connection, unsupported))
        runs = []
        for name in entities:
            with tqdm(desc=f"{connection.slug} {name}", unit=" items", file=self.stderr._out) as bar:
                run = run_delta_pull(connection, name, process_inline=True, progress=bar.update)
            self._report(run)
            runs.append(run)
        return runs

    def _not_pulled_message(self, connection, entities):
        connector = connection.connector
        pulled = sorted(connector.pulled_entities())
        lines = [
            f"Connection {connection.slug!r} ({connector.display_name}) cannot pull {', '.join(entities)}. "
            + (f"It pulls: {', '.join(pulled)}." if pulled else f"{connector.display_name} pulls no entity.")
        ]
        # One explanation per distinct text: Akeneo's import covers products and categories alike.
        explanations = dict.fromkeys(connector.explain_no_pull(connection, name) for name in entities)
        lines.extend(text for text in explanations if text)
        return "\n".join(lines)

    def _push(self, connection, entity):
        # Checked before the run starts, because a run for an entity that is not pushed would
        # read no message and report success.
        pushed = connection.connector.pushed_entities()
        if not pushed or (entity and entity not in pushed):
            raise CommandError(self._not_pushed_message(connection, entity))

        now = timezone.now()
        due = OutboundMessage.objects.filter(connection=connection).filter(claimable(now))
        if entity:
            due = due.filter(entity=entity)
        # An ordered stream (orders to Odoo) goes no further than the lane workers would send it.
        due = hold_back_streams(due, now)
        message_ids = list(due.order_by("pk").values_list("pk", flat=True))

        run = start_sync_run(connection, SyncRunKind.PUSH, entity or "")
        for message_id in tqdm(message_ids, desc=f"{connection.slug} push", unit=" messages", file=self.stderr._out):
            state = deliver_message(message_id)
            run.read_count += 1
            count_outcome(run, PUSH_OUTCOMES.get(state, "skipped"))
        run = finish_sync_run(run)
        self._report(run)
        return run

    def _not_pushed_message(self, connection, entity):
        connector = connection.connector
        pushed = sorted(connector.pushed_entities())
        if not pushed:
            subject = f"push {entity}" if entity else "push"
            return f"Connection {connection.slug!r} ({connector.display_name}) cannot {subject}, because {connector.display_name} pushes no entity."
        return f"Connection {connection.slug!r} ({connector.display_name}) cannot push {entity}. It pushes: {', '.join(pushed)}."

    def _report(self, run):
        self.stdout.write(
            f"{run.get_kind_display()} {run.connection.slug} {run.entity or '-'}: {run.state}, "
            f"read {run.read_count}, created {run.created_count}, updated {run.updated_count}, "
            f"skipped {run.skipped_count}, failed {run.failed_count}, took {run.duration}"
        )
        if run.message:
            self.stdout.write(run.message)

"""Customer operations: find or create the canonical customer of incoming orders.

customers_for links the buyers of many orders to customers with a fixed number of
statements, whatever the number of orders, and gives one order alone the same result as
that order in a batch. The rules, in the order of the buyers:

- A guest gets a new guest customer of its own. Guests are neither looked up nor bound,
  because one email may belong to many guest orders.
- A registered buyer gets the customer bound to its id in the order's connection, else the
  registered customer with its email (compared case-insensitively), else a new customer,
  which is bound to the buyer's id.
- An existing customer takes the buyer's names, company and VAT number only when the
  connection leads the customers' master data. Otherwise each differing value is stored as
  a Conflict, as integrations.services.leading.apply_inbound_changes does, unless no
  connection leads customers at all. The email of an existing customer is never changed:
  it is the key that other orders find the customer by.
- A new customer is created with the buyer's values even when another system leads
  customers. The record exists so that the order is linked to its buyer, and the leading
  system overwrites its values when it sends the customer.
- An invalid email or VAT number never fails the order. A buyer with an invalid email is
  linked only through its binding, and an invalid VAT number is left out. Either problem is
  returned as a note for the merchant.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection as db_connection
from django.db.models import BigIntegerField, CharField, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat

from core.translation import Translatable
from core.validators import validate_vat_number
from customers.models import Customer, normalize_email
from integrations.domains import Domain, FieldGroup
from integrations.models import Binding, Conflict
from integrations.services.bindings import bind_many
from integrations.services.leading import leading_connection_id, leading_connection_ids

EMAIL_INVALID = _(
    'The customer email "%(value)s" is invalid, so the order is not linked to a customer. '
    "Ask the customer for a valid email and correct it in the shop."
)
# For a buyer with an invalid email whom Kontor still found by the shop's customer id.
EMAIL_INVALID_CUSTOMER_FOUND = _(
    'The customer email "%(value)s" is invalid, so Kontor kept the email it has for this '
    "customer. Ask the customer for a valid email and correct it in the shop."
)
VAT_NUMBER_INVALID = _(
    'The VAT ID "%(value)s" of the customer is invalid, so it was not stored with the customer. '
    "Check the VAT ID with the customer and correct it in the shop."
)

logger = logging.getLogger(__name__)

# Fields of a customer that a buyer carries and the leading system may change.
MASTER_FIELDS = ("first_name", "last_name", "company", "vat_number")


@dataclass(frozen=True)
class BuyerInput:
    """The buyer of an order as the channel reported it, before Kontor checked it.

    `external_id` is the buyer's id in the order's connection, such as Shopware's customerId.
    """

    email: str
    is_guest: bool = False
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    vat_number: str = ""
    external_id: str = ""


@dataclass
class CustomerLink:
    """The customer of one order (None when none could be linked) and the notes for the merchant."""

    customer: Customer | None
    notes: list = field(default_factory=list)


@dataclass
class _CheckedBuyer:
    buyer: BuyerInput
    email: str
    email_valid: bool
    values: dict
    notes: list


def _truncated(value, name):
    return str(value or "").strip()[: Customer._meta.get_field(name).max_length]


def _check(buyer):
    """Return the buyer with its email normalized and checked and its values fitted to the columns."""
    email = normalize_email(buyer.email)
    notes = []
    try:
        validate_email(email)
        email_valid = len(email) <= Customer._meta.get_field("email").max_length
    except ValidationError:
        email_valid = False
    if not email_valid:
        notes.append(Translatable(EMAIL_INVALID, value=buyer.email or ""))

    vat_number = ""
    if str(buyer.vat_number or "").strip():
        try:
            validate_vat_number(buyer.vat_number)
            vat_number = vat.compact(buyer.vat_number)
        except ValidationError:
            notes.append(Translatable(VAT_NUMBER_INVALID, value=buyer.vat_number))

    values = {
        "first_name": _truncated(buyer.first_name, "first_name"),
        "last_name": _truncated(buyer.last_name, "last_name"),
        "company": _truncated(buyer.company, "company"),
        "vat_number": vat_number,
    }
    return _CheckedBuyer(buyer, email, email_valid, values, notes)


def customers_for(buyers, *, connection=None):
    """Return a CustomerLink per item of `buyers` (a BuyerInput or None), creating customers as needed.

    Costs at most seven statements for any number of buyers. They are one read of the known
    customers and one of the leading-system rules (only when a known customer would change).
    Then come the INSERT of new customers, a read of those another worker inserted first,
    one UPDATE, the conflicts and the bindings. Run it inside the transaction that writes
    the orders.

    Two workers that create the same registered customer at once end with one: the INSERT
    skips an email that the other worker inserted (waiting for its commit), and the row is
    read back. New registered customers are inserted in email order, so two batches wait for
    each other instead of deadlocking.
    """
    links = [CustomerLink(None) for _buyer in buyers]
    checked = {index: _check(buyer) for index, buyer in enumerate(buyers) if buyer is not None}
    if not checked:
        return links

    registered = [item for item in checked.values() if not item.buyer.is_guest]
    known = _known_customers(connection, registered)
    plan = _Plan(connection, known)
    for index, item in checked.items():
        links[index].customer = plan.customer_for(item)
        links[index].notes = item.notes if links[index].customer is None else [_found_despite_email(note) for note in item.notes]

    plan.save()
    return links


def _found_despite_email(note):
    """Return the note for a customer found although the email is invalid, which EMAIL_INVALID would deny."""
    if note.template is EMAIL_INVALID:
        return Translatable(EMAIL_INVALID_CUSTOMER_FOUND, **note.params)
    return note


class _Plan:
    """The customers of a call's buyers worked out in memory, as one call per buyer would leave them."""

    def __init__(self, connection, known):
        self.connection = connection
        self.by_external_id = {}
        self.by_email = {}
        # The external id each customer is bound to in the connection, bound in this call or before.
        self.bound_to = {}
        for customer in known:
            if customer.bound_external_id:
                self.by_external_id[customer.bound_external_id] = customer
                self.bound_to[id(customer)] = customer.bound_external_id
            if not customer.is_guest:
                self.by_email.setdefault(normalize_email(customer.email), customer)
        self.new = []
        self.changed = {}
        self.conflicts = []
        self.bindings = []
        self._rules = None

    def customer_for(self, item):
        buyer = item.buyer
        if buyer.is_guest:
            if not item.email_valid:
                return None
            return self._create(item, is_guest=True)

        customer = self.by_external_id.get(buyer.external_id) if buyer.external_id else None
        if customer is None and item.email_valid:
            customer = self.by_email.get(item.email)
        if customer is None:
            if not item.email_valid:
                return None
            customer = self._create(item, is_guest=False)
            self.by_email[item.email] = customer
        else:
            self._apply(customer, item)
        self._bind(customer, buyer.external_id)
        return customer

    def _create(self, item, *, is_guest):
        customer = Customer(email=item.email, is_guest=is_guest, **item.values)
        self.new.append(customer)
        return customer

    def _bind(self, customer, external_id):
        # As integrations.services.bindings.bind: a customer keeps its first binding, and an
        # external id bound to another customer stays with it.
        if not external_id or self.connection is None or id(customer) in self.bound_to or external_id in self.by_external_id:
            return
        self.bound_to[id(customer)] = external_id
        self.by_external_id[external_id] = customer
        self.bindings.append((customer, external_id))

    def _apply(self, customer, item):
        """Write the buyer's values to the customer if the connection leads them, else record conflicts."""
        incoming = dict(item.values)
        if any(note.template is VAT_NUMBER_INVALID for note in item.notes):
            # The invalid number was left out, so it neither replaces a stored one nor conflicts with it.
            del incoming["vat_number"]
        differing = {name: value for name, value in incoming.items() if getattr(customer, name) != value}
        if not differing or self.connection is None:
            return

        rules = self._leading_rules()
        if not rules:
            # No connection leads customers, so the stored values stay, and no conflict is
            # recorded because there is no leader to resolve it.
            return
        leader_id = leading_connection_id(Domain.CUSTOMERS, FieldGroup.MASTER, rules)
        if leader_id == self.connection.pk:
            for name, value in differing.items():
                setattr(customer, name, value)
            if customer.pk is not None:
                self.changed[id(customer)] = customer
            return
        for name, value in differing.items():
            self.conflicts.append((customer, name, getattr(customer, name), value, leader_id))

    def _leading_rules(self):
        if self._rules is None:
            self._rules = leading_connection_ids(Domain.CUSTOMERS)
        return self._rules

    def save(self):
        _insert_customers(self.new)
        now = timezone.now()
        if self.changed:
            changed = list(self.changed.values())
            for customer in changed:
                # bulk_update leaves auto_now fields alone.
                customer.updated_at = now
            Customer.objects.bulk_update(changed, [*MASTER_FIELDS, "updated_at"])
        if self.conflicts:
            _store_conflicts(self.connection, self.conflicts)
        if self.bindings:
            bind_many(self.connection, self.bindings)


def _known_customers(connection, registered):
    """Return the customers bound to the buyers' external ids or registered with their emails, with one query.

    Each customer carries `bound_external_id`, its external id in `connection` or None.
    """
    external_ids = sorted({item.buyer.external_id for item in registered if item.buyer.external_id})
    emails = sorted({item.email for item in registered if item.email_valid})
    if not emails and not (external_ids and connection is not None):
        return []

    # Matches the partial index on the lower-cased email of registered customers.
    customers = Customer.objects.annotate(email_key=Lower("email"))
    matches = Q(is_guest=False, email_key__in=emails)
    if connection is None:
        return list(customers.filter(matches).annotate(bound_external_id=Cast(None, CharField())).order_by("pk"))

    bindings = Binding.objects.filter(connection=connection, content_type=ContentType.objects.get_for_model(Customer))
    if external_ids:
        bound_pks = bindings.filter(external_id__in=external_ids).values(record_pk=Cast("object_id", BigIntegerField()))
        matches |= Q(pk__in=Subquery(bound_pks))
    # Read for the matched rows only: whether a customer found by email is bound already.
    bound_external_id = bindings.filter(object_id=Cast(OuterRef("pk"), CharField())).values("external_id")[:1]
    return list(customers.filter(matches).annotate(bound_external_id=Subquery(bound_external_id)).order_by("pk"))


def _insert_customers(customers):
    """Insert new customers with one statement and set their pks; read back those another worker inserted first.

    A registered email that another transaction inserted is skipped by ON CONFLICT DO
    NOTHING after that transaction commits, and the stored row is read with one more query.
    """
    if not customers:
        return
    # Guests first, then registered customers in email order, the order in which two
    # transactions take the unique index entries.
    rows = sorted(customers, key=lambda customer: (not customer.is_guest, customer.email if not customer.is_guest else ""))
    now = timezone.now()
    columns = ["created_at", "updated_at", "email", "is_guest", *MASTER_FIELDS, "phone", "language"]
    table = db_connection.ops.quote_name(Customer._meta.db_table)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    params = []
    for customer in rows:
        customer.created_at = customer.updated_at = now
        params.extend(getattr(customer, name) for name in columns)
    sql = (
        f"INSERT INTO {table} ({', '.join(db_connection.ops.quote_name(name) for name in columns)}) VALUES {placeholders} "
        "ON CONFLICT DO NOTHING RETURNING id, is_guest, email"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()

    # RETURNING lists the inserted rows in the order of VALUES (bulk_create relies on the same),
    # and only a registered customer can be skipped.
    position = 0
    skipped = []
    for customer in rows:
        if position < len(returned) and returned[position][1:] == (customer.is_guest, customer.email):
            customer.pk = returned[position][0]
            customer._state.adding = False
            customer._state.db = db_connection.alias
            position += 1
        else:
            skipped.append(customer)
    if skipped:
        _adopt_stored(skipped)


def _adopt_stored(customers):
    """Give each new customer the pk and values of the registered customer stored with its email."""
    stored = {
        normalize_email(customer.email): customer
        for customer in Customer.objects.annotate(email_key=Lower("email")).filter(
            is_guest=False, email_key__in=sorted({customer.email for customer in customers})
        )
    }
    for customer in customers:
        other = stored[customer.email]
        customer.pk = other.pk
        customer._state.adding = False
        customer._state.db = db_connection.alias
        for name in (*MASTER_FIELDS, "created_at", "updated_at"):
            setattr(customer, name, getattr(other, name))


def _store_conflicts(connection, conflicts):
    """Store a Conflict per (customer, field, current, incoming, leader id), with one INSERT."""
    content_type = ContentType.objects.get_for_model(Customer)
    Conflict.objects.bulk_create(
        Conflict(
            connection=connection,
            content_type=content_type,
            object_id=str(customer.pk),
            domain=Domain.CUSTOMERS,
            field_group=FieldGroup.MASTER,
            field=name,
            current_value=current,
            incoming_value=incoming,
            leading_connection_id=leader_id,
        )
        for customer, name, current, incoming, leader_id in conflicts
    )
    by_customer = defaultdict(list)
    for customer, name, *_values in conflicts:
        by_customer[customer.pk].append(name)
    for customer_pk, fields in by_customer.items():
        logger.info(
            "inbound customer changes rejected as conflicts",
            extra={"connection_id": connection.pk, "customer_id": customer_pk, "fields": fields},
        )

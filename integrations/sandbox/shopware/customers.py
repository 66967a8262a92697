"""The buyers of the simulated shop's orders: the order customer and its postal address.

A buyer is derived from the customer id of the replayed invoice alone, so a customer has the
same name, email, customer number, customer id and address in every order and every sandbox.
An invoice without a customer id becomes a guest order, keyed by its invoice number instead.
The address lies in a city of the order's country, with a postcode of that city. A country
that PLACES does not list gets a neutral address: "Sandbox" as the city and no postcode.

Only pure computation happens here, so placing an order costs no extra query.
"""

import hashlib
import unicodedata
from dataclasses import dataclass

from integrations.sandbox.shopware.state import seed_id

FIRST_NAMES = (
    "Anna", "Ben", "Charlotte", "David", "Emma", "Felix", "Grace", "Hannah", "Isabel", "Jakob",
    "Jürgen", "Katharina", "Liam", "Marie", "Noah", "Olivia", "Paul", "Sophie", "Thomas", "Zoë",
)
LAST_NAMES = (
    "Bauer", "Brown", "Dubois", "Fischer", "García", "Hughes", "Jansen", "Kelly", "Lambert", "Meyer",
    "Müller", "Murphy", "Novak", "Rossi", "Schmidt", "Silva", "Smith", "Taylor", "Wagner", "Walsh",
)

# Highest house number of a generated address.
MAX_HOUSE_NUMBER = 120


@dataclass(frozen=True)
class Place:
    """A city with one of its postcodes and a street; `street` has {number} where the house number goes."""

    city: str
    zipcode: str | None
    street: str


# Cities of every country that the shipped invoices come from, each with a postcode in the
# country's own format. The street is written as the country writes it, so the
# house number comes first in Britain, Ireland, France and Australia.
PLACES = {
    "GB": (
        Place("London", "EC1A 1BB", "{number} Baker Street"),
        Place("Manchester", "M1 1AE", "{number} Deansgate"),
        Place("Bristol", "BS1 4DJ", "{number} Park Street"),
        Place("Leeds", "LS1 6HB", "{number} Briggate"),
    ),
    "IE": (Place("Dublin", "D02 X285", "{number} Grafton Street"), Place("Cork", "T12 W8CX", "{number} Patrick Street")),
    "DE": (
        Place("Berlin", "10115", "Invalidenstraße {number}"),
        Place("Hamburg", "20095", "Mönckebergstraße {number}"),
        Place("München", "80331", "Kaufingerstraße {number}"),
        Place("Köln", "50667", "Hohe Straße {number}"),
    ),
    "FR": (Place("Paris", "75001", "{number} rue de Rivoli"), Place("Lyon", "69002", "{number} rue de la République")),
    "ES": (Place("Madrid", "28013", "Calle Mayor {number}"), Place("Barcelona", "08002", "Carrer de Ferran {number}")),
    "NL": (Place("Amsterdam", "1012 JS", "Damrak {number}"), Place("Rotterdam", "3011 AD", "Coolsingel {number}")),
    "AU": (Place("Sydney", "2000", "{number} George Street"), Place("Melbourne", "3000", "{number} Collins Street")),
    "PT": (Place("Lisboa", "1100-048", "Rua Augusta {number}"), Place("Porto", "4000-447", "Rua de Santa Catarina {number}")),
    "BE": (Place("Bruxelles", "1000", "Rue Neuve {number}"), Place("Antwerpen", "2000", "Meir {number}")),
    "NO": (Place("Oslo", "0154", "Karl Johans gate {number}"), Place("Bergen", "5003", "Torgallmenningen {number}")),
    "IT": (Place("Roma", "00186", "Via del Corso {number}"), Place("Milano", "20121", "Via Dante {number}")),
    "LT": (Place("Vilnius", "LT-01103", "Gedimino pr. {number}"),),
    "JP": (Place("Tokyo", "100-0005", "Marunouchi 1-{number}"),),
    "JE": (Place("St Helier", "JE2 4WF", "{number} King Street"),),
    "CH": (Place("Zürich", "8001", "Bahnhofstrasse {number}"), Place("Genève", "1204", "Rue du Rhône {number}")),
    "DK": (Place("København", "1620", "Vesterbrogade {number}"),),
    "CY": (Place("Nicosia", "1011", "Ledra Street {number}"),),
    "MT": (Place("Valletta", "VLT 1117", "{number} Republic Street"),),
    "SG": (Place("Singapore", "238801", "{number} Orchard Road"),),
}
NEUTRAL_PLACE = Place("Sandbox", None, "Sandbox Street {number}")


@dataclass(frozen=True)
class Buyer:
    """A customer of an order as the shop stores it. Every other value is derived from `key`."""

    key: str
    customer_number: str
    customer_id: str
    first_name: str
    last_name: str
    email: str
    guest: bool


def _choose(key, purpose, choices):
    """Return the same element of `choices` for the same key and purpose, spread evenly over keys."""
    digest = hashlib.sha256(f"{purpose}:{key}".encode()).digest()
    return choices[int.from_bytes(digest[:8], "big") % len(choices)]


def _ascii(text):
    # For the email's local part: "Jürgen" becomes "jurgen".
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def buyer_for(customer_number, guest_reference=""):
    """Return the buyer with this customer number. An empty number gives a guest keyed by `guest_reference`.

    A guest gets the customer number "guest-<reference>" and an email of its own, so two guest
    orders never share a customer.
    """
    customer_number = str(customer_number or "").strip()
    guest = not customer_number
    if guest:
        if not guest_reference:
            raise ValueError("a guest order needs a guest reference, such as its invoice number")
        customer_number = f"guest-{guest_reference}"
    key = f"customer:{customer_number}"

    first_name = _choose(key, "first name", FIRST_NAMES)
    last_name = _choose(key, "last name", LAST_NAMES)
    return Buyer(
        key=key,
        customer_number=customer_number,
        customer_id=seed_id("customer", key),
        first_name=first_name,
        last_name=last_name,
        email=f"{_ascii(first_name)}.{_ascii(last_name)}.{_ascii(customer_number)}@example.com",
        guest=guest,
    )


def place_for(buyer, country_iso):
    """Return the buyer's place in a country: always the same one, or NEUTRAL_PLACE for an unlisted country."""
    places = PLACES.get(country_iso)
    if not places:
        return NEUTRAL_PLACE
    return _choose(buyer.key, f"place:{country_iso}", places)


def order_customer(buyer, order_id, created_at):
    """Return the order's orderCustomer as the Admin API sends it."""
    return {
        "id": seed_id("order_customer", order_id),
        "orderId": order_id,
        "customerId": buyer.customer_id,
        "email": buyer.email,
        "salutationId": seed_id("salutation", "not_specified"),
        "firstName": buyer.first_name,
        "lastName": buyer.last_name,
        "title": None,
        "company": None,
        "vatIds": None,
        "customerNumber": buyer.customer_number,
        "customFields": None,
        "createdAt": created_at,
        "updatedAt": None,
        # The customer association, whose guest flag marks a guest order.
        "customer": {"id": buyer.customer_id, "customerNumber": buyer.customer_number, "guest": buyer.guest, "apiAlias": "customer"},
        "apiAlias": "order_customer",
    }


def order_address(buyer, address_id, country):
    """Return an order_address of the buyer in `country` (the shop's country record)."""
    place = place_for(buyer, country["iso"])
    number = _choose(buyer.key, "house number", range(1, MAX_HOUSE_NUMBER + 1))
    return {
        "id": address_id,
        "salutationId": seed_id("salutation", "not_specified"),
        "firstName": buyer.first_name,
        "lastName": buyer.last_name,
        "street": place.street.format(number=number),
        "zipcode": place.zipcode,
        "city": place.city,
        "countryId": country["id"],
        "country": {"id": country["id"], "iso": country["iso"], "name": country["name"], "apiAlias": "country"},
        "phoneNumber": None,
        "company": None,
        "apiAlias": "order_address",
    }

"""Admin for orders and what hangs off them: payments, shipments, documents and returns.

Orders arrive from channels and move through their status machine in orders.services, so
the admin shows them read-only and changes status only through actions that call the service.
"""

from orders.admin import documents, orders, payments, returns, shipments  # noqa: F401

"""Stateful simulations of external systems, served by Kontor under /sandbox/ when SANDBOX_ENABLED.

Each simulated system is a sub-package (shopware, odoo, payments, shipping) with its own urls.py.
The core here gives them a record store (store.py), switchable faults (faults.py), a webhook
sender (webhooks.py) and the replayed order stream (orderstream.py).
"""

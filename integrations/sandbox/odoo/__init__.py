"""Stateful simulation of the Odoo external API (JSON-2 and JSON-RPC) under /sandbox/odoo/."""

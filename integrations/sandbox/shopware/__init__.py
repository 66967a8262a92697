"""Stateful simulation of the Shopware 6 Admin API and its app webhooks, under /sandbox/shopware/."""

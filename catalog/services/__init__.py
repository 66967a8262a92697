"""Catalog operations other apps call: stock ledger, availability, imports."""

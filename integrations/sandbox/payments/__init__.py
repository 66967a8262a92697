"""Simulated payment providers under /sandbox/payments/: Stripe, Mollie and PayPal.

Each has the provider's paths, payload shapes and signature scheme, keeps its payments in the
sandbox store, and sends webhooks through the sandbox webhook sender, so duplicate, reordered
and lost deliveries are switched on with the "payments" faults.
"""

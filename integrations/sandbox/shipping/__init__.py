"""Simulated carriers under /sandbox/shipping/: DHL Parcel DE (labels, tracking) and Sendcloud
(parcels, labels, signed parcel_status_changed webhooks)."""

# The unmatched provider events admin serves every payment and shipping connector.
from orders import admin_payments  # noqa: F401

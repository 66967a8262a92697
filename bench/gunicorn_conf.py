"""gunicorn settings shared by the webhook benchmarks: threaded workers that keep connections open.

Used as `gunicorn -c bench/gunicorn_conf.py ...`; --workers and --threads on the command line
override the defaults here. Threads let a worker take the next request while another waits
on PostgreSQL or Redis, and gthread keeps client connections alive between requests, which
sync workers do not.
"""

worker_class = "gthread"
workers = 2
threads = 4
# Seconds an idle client connection stays open; wrk reuses its connections for the whole run.
keepalive = 30
backlog = 2048
accesslog = None
loglevel = "warning"

"""The ASGI entry point: run it with gunicorn's uvicorn worker for the fastest product reads.

    gunicorn -k uvicorn_worker.UvicornWorker config.asgi:application

Cached product reads are answered on the event loop (apiclients.asgi). Everything else runs
the WSGI application of config.wsgi, webhook intake included, in a pool of WSGI_THREADS
threads per worker process, as a threaded WSGI server would run it.
"""

import gc

from a2wsgi import WSGIMiddleware
from django.conf import settings

from config.wsgi import application as wsgi_application

# isort: split
# Imported after config.wsgi has set Django up, because the fast path uses models.
from apiclients.asgi import CachedProductReads  # noqa: E402

application = CachedProductReads(WSGIMiddleware(wsgi_application, workers=settings.WSGI_THREADS))

# The objects imported at startup (Django, the apps, the models) live as long as the worker.
# Freezing them keeps the garbage collector's full collections from scanning them. Each such
# collection paused the event loop and every request on it: the detail p99 at 50 connections
# was 44 to 136 ms without the freeze and 16 to 18 ms with it (docs/benchmarks.md).
gc.freeze()

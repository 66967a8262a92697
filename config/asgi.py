"""The ASGI entry point: run it with gunicorn's uvicorn worker for the fastest product reads.

    gunicorn -k uvicorn_worker.UvicornWorker config.asgi:application

Cached product reads are answered on the event loop (apiclients.asgi). Everything else runs
the WSGI application of config.wsgi, webhook intake included, in a pool of WSGI_THREADS
threads per worker process, as a threaded WSGI server would run it.
"""

from a2wsgi import WSGIMiddleware
from django.conf import settings

from config.wsgi import application as wsgi_application

# isort: split
# Imported after config.wsgi has set Django up, because the fast path uses models.
from apiclients.asgi import CachedProductReads  # noqa: E402

application = CachedProductReads(WSGIMiddleware(wsgi_application, workers=settings.WSGI_THREADS))

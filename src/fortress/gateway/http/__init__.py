"""The gateway's HTTP transport: FastAPI app, endpoints, the error table and request metrics. The
gateway's core (``gateway/service.py`` and what it calls) knows nothing of HTTP."""

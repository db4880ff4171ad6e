"""What every Fortress HTTP server shares: the hot-route fast path, the body limit and the error
responder built from one transport's status table (``errors.py``). Transport code only: core packages
never import it."""

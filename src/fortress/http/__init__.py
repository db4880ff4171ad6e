"""What both Fortress HTTP servers (the gateway and the model server) share: the uvicorn protocol with
limits on what a client may send before its request reaches the app (``protocol.py``: header size and
count, time to send headers and body, connections that have not completed a request), the hot-route
fast path, the body limit and the error responder built from one transport's status table
(``errors.py``). Transport code only: core packages never import it."""

"""The HTTP/1.1 server layer both Fortress servers run on (the gateway and the model server): uvicorn
with limits on what a client may send before its request reaches the app (header size and count, time
to send headers and body, connections that have not completed a request)."""

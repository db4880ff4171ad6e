"""Where models run for the gateway: in-process (``local``) or remote (``tfserving``, ``v2``)."""

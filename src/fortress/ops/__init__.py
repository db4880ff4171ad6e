"""Operations: backups of a Fortress home, verified restores that swap atomically, and the DR drill.

A backup is a folder of files plus ``manifest.json`` (every file's size and sha256, versions, the
champion fingerprint). What is backed up is a list of stores (``fortress.ops.stores``), one small class
per thing; a store whose source is absent is skipped. Nothing here imports the gateway: the entry point
hands in the answers that make the fingerprint and the means to start a gateway.
"""

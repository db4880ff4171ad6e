"""The inference log: a sample of each model's served input rows and answers (every degraded and
low-confidence answer included), written off the request path to Parquet files in the offline store
or to a Kafka topic; what ``fortress drift analyze`` reads (docs/MONITORING.md, "Inference log").

The request path only draws the sample and appends to a bounded queue (``log.py``); redaction of
sensitive fields, encoding and writing happen in the writer's thread (``writer.py``, or the audit
events' Kafka pump, which the gateway's wiring reuses). Standard library, numpy, pyarrow, orjson,
prometheus_client and the catalog only: the gateway calls it, so it sits on the ground layer beside
drift (tests/support/layering.py).
"""

"""The feature store: feature computations, the Feast repository, online lookup, training sets.

``views`` (what the store holds), ``scores`` and ``windows`` (the computations), ``pipeline``
(raw events -> view rows), ``offline`` / ``operations`` (files, apply, ingest, materialize),
``store`` / ``feast_store`` (online lookup), ``training`` and ``quality`` (point-in-time training
sets and their gates). Modules that need Feast import it themselves; importing this package does not.
"""

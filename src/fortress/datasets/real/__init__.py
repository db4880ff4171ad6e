"""Loaders for the real public security datasets, and the ``TaskData`` builders that use them.

One module per dataset folder (``nsl_kdd``, ``cicids``, ``dga``, ``phishing``, ``clamp``,
``twitter_bots``, ``spamassassin``, ``top_sites``); every loader verifies the files it reads against
``fortress.datasets.manifest`` first. ``tasks.build_real_task`` turns them into model data.
"""

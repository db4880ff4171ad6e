"""Who may call the gateway (API keys, JWTs, scopes) and how often (token-bucket rate limits).

Import from the modules (``auth.settings``, ``auth.authenticator``, ``auth.ratelimit``, ...): this
package imports nothing itself, so the settings tree can nest ``auth.settings`` without pulling in
Redis, PyJWT or cryptography.
"""

"""Fxiaoke (纷享销客 / ShareCRM) adapter for hub.

Modules, one idea each: `settings` (the connection's hub.toml keys),
`errors` (errorCode → what to do), `clock` (time, virtual in tests) and
`ratelimit` (pacing below the documented limits, shared by all streams),
`client` (the two token flows on the hub's TokenCache, retries by the hub's
RetryPolicy, the HTTP-200 error envelope),
`paging` (keyset pages of an object), `mapping` (vendor records → canonical
records), `adapter` (streams, check, read), `fake` and `server` (a stateful
fake of the OpenAPI for tests, demos and benchmarks).
"""

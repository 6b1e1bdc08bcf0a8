"""Running syncs as Celery tasks on Redis or RabbitMQ (`hub worker`, `hub sync --engine`,
`hub scheduler`). See docs/engine.md for the delivery semantics."""

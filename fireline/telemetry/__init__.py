"""Observability for the worker and the bot: traces (tracing.py), metrics (metrics.py,
workflow_metrics.py, sdk_metrics.py), health (health.py), the metrics port (server.py), logs
(logs.py); setup.py starts them at process start. Kept free of imports, since the workflow
sandbox passes workflow_metrics through."""

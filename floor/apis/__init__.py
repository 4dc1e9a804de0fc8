"""The floor API: device keys, event ingestion (JSON and CSV), master data, and the read-outs.

Thin views, one module per concern; `floor/urls.py` routes to them. Who acts for which factory is decided
once, in `floor.apis.common.request_factory`.
"""

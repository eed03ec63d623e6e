"""``krefeld-kg serve``: the built release as linked data, HTML pages and a SPARQL 1.1 Protocol endpoint.

Kept import-free on purpose: query worker processes import ``krefeld_kg.serve.worker`` and must not pay
for Starlette, jinja2 or rdflib.
"""

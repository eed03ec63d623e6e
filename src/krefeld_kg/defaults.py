"""The defaults every layer needs, spelled once and importing nothing, so that the CLI's start-up
(``krefeld-kg --help``) can use them without loading rdflib: the base IRI, the Wikidata endpoint and the
environment variables that carry credentials."""

DEFAULT_BASE = "https://w3id.org/krefeld-kg/"
WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
TOKEN_ENV = "KREFELD_KG_TOKEN"
PASSWORD_ENV = "KREFELD_KG_PASSWORD"

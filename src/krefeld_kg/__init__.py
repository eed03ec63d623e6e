"""krefeld-kg: build, validate, query and publish the Krefeld knowledge graph."""

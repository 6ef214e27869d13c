"""A local fake Hoko ``POST /api/links`` driven by the kit's OpenAPI spec."""

"""Conformance suite: tells whether any server honours the Hoko ``POST /api/links`` contract."""

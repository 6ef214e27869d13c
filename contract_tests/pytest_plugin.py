"""Pytest plugin that lets ``pytest --pyargs contract_tests`` target any server."""

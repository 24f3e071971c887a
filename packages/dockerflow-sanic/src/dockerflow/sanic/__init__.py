"""Dockerflow for Sanic."""

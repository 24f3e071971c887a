"""Dockerflow for Django."""

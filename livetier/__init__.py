"""Tooling for the livetier dbt project: sample data, build runner, checks and summaries."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
__all__ = ["PROJECT_ROOT"]

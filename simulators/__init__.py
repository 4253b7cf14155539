"""Sampling, training dynamics and neural runs built on :mod:`theory`."""

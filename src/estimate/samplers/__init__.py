"""Compiled samplers: numbers in, numbers out (no pandas, no I/O)."""

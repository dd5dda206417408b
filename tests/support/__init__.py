"""Helpers shared by test modules (and the benches): no test module imports another."""

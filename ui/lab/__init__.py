"""Grad Lab: one module per tab."""

"""Execution: flash-loan executor calldata, simulation, signing and sending."""

"""Launcher for a real Hyperledger Fabric v3.1 test network."""

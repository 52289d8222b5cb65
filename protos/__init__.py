"""The trade-finance schema, compiled from the .proto files beside this module."""

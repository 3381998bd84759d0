"""A sender that writes what would be sent, for the demo and for development."""

from oncall_adapters.console._sender import ConsoleSender, masked_address

__all__ = ["ConsoleSender", "masked_address"]

"""Publishing: each channel in its own module, and the delivery log that makes it once per channel."""

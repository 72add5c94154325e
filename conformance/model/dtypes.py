"""The dtype names the kit knows, without importing torch (the plugin's option help uses them)."""
NAMES = ("float32", "float64", "complex64", "complex128")

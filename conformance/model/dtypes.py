"""The dtype names the kit knows, without importing torch (the plugin's option help uses them)."""
NAMES = ("float32", "float64", "bfloat16", "float16", "complex64", "complex128")
LOW = ("bfloat16", "float16")  # reduced precision: unit roundoff 2**-8 and 2**-11
COMPLEX = ("complex64", "complex128")  # run by the complex properties, for entries that declare them

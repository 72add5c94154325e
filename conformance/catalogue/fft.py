"""(being written)"""

ENTRIES = []

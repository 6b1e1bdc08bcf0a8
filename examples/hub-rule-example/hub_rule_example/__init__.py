"""An example rule plugin: key accounts are visited at least N times a period."""

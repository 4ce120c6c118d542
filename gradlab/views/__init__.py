"""Pictures and files made from runs: Vega-Lite chart specs, DOT drawings, tables and exports."""

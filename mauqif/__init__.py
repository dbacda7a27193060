"""mauqif (موقف, "stance"): stance and sentiment annotation for Urdu news.

The two halves: `mauqif.annotate` (text pipeline, schema, Label Studio) and `mauqif.model`
(the scikit-learn classifier). They meet only through tables; `mauqif.cli` wires them together.
"""

__version__ = "0.1.0"

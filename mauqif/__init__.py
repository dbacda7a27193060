"""mauqif (موقف, "stance"): stance and sentiment annotation for Urdu news.

Three parts; imports go one way (cli → model → annotate; annotate imports neither):

- `mauqif.annotate`: text in, units out. Reading articles, cleaning, normalising, segmenting,
  finding party mentions, the schema (parties, label values and their roles), the labels table
  and its aggregation, files and tables; `mauqif.annotate.studio` talks to Label Studio. Push
  pre-annotates with any object that predicts (the `Model` protocol of `annotate.studio.push`): it never
  imports the model.
- `mauqif.model`: the classifier. It uses annotate's schema, normalisation, mention finder and
  segmenter, so that it reads text exactly as annotators see it, and its labels through
  `annotate.labels`; it never talks to Label Studio.
- `mauqif.cli`: the command line, the one place that wires the two together.
"""

__version__ = "0.1.0"

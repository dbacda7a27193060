"""The text half of mauqif: articles in, annotation units (with party mentions) out.

    from mauqif.annotate.schema import load_schema
    from mauqif.annotate.pipeline import Segmenter
    from mauqif.annotate.reader import iter_articles

    units = Segmenter.default(load_schema()).iter_units(iter_articles(["articles/"]))

It depends on nothing else in mauqif; `mauqif.model` builds on its schema, normalisation,
mentions and labels, and `studio` (Label Studio) on the rest of it.
"""

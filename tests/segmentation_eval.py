"""Boundary F1 of the segmenter on gold sentences joined into paragraphs (shared by test and bench)."""

from mauqif.annotate.segment import clean_text, split_units


def joined_paragraphs(sentences: list[str], per_paragraph: int = 6) -> tuple[str, set[int]]:
    """Join gold sentences with a space, `per_paragraph` to a paragraph; return text and gold ends."""
    parts, ends, pos = [], set(), 0
    for i, sentence in enumerate(sentences):
        if i:
            sep = "\n\n" if i % per_paragraph == 0 else " "
            parts.append(sep)
            pos += len(sep)
        parts.append(sentence)
        pos += len(sentence)
        ends.add(pos)
    return "".join(parts), ends


def boundary_f1(sentences: list[str], rules) -> tuple[float, float, float]:
    text, gold = joined_paragraphs(sentences)
    cleaned = clean_text(text, rules)
    assert cleaned == text, "gold paragraphs must survive cleaning unchanged"
    found = {span.end for span in split_units(cleaned, rules)}
    tp = len(found & gold)
    precision = tp / len(found)
    recall = tp / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)

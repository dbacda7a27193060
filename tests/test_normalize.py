"""Urdu normalisation: for matching and features only; the properties users rely on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mauqif.annotate.normalize import normalize, normalize_with_map


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("پاكستان", "پاکستان"),  # Arabic kaf
        ("كيا", "کیا"),  # Arabic kaf and yeh
        ("علىٰ", "علی"),  # alef maksura, superscript alef
        ("پهر", "پھر"),  # the aspirate, not پہر
        ("كه", "کہ"),  # word-final heh is ہ
        ("بهارت", "بھارت"),
        ("روســـی", "روسی"),  # tatweel
        ("کِم جونگ اُن", "کم جونگ ان"),  # diacritics off
        ("روس\u200cی\u200f", "روسی"),  # ZWNJ, RLM
        ("۲۰۲۴", "2024"),
    ],
)
def test_normalise_maps_arabic_forms_to_urdu_and_drops_marks(raw, expected):
    assert normalize(raw) == expected


@given(st.text())
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_every_normalised_character_maps_back_into_the_original(text):
    norm, origin = normalize_with_map(text)
    assert len(norm) == len(origin)
    assert origin == sorted(origin)
    assert all(0 <= i < len(text) for i in origin)

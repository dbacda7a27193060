"""The stance cues of Urdu news reporting (mauqif.model.features.cues), on sentences written for
these tests: speech without `نے`, a headline's speaker after its colon, and GUIDELINES rules
11-14 (accusations, expected positions, a report that is only the object of a rejection,
deflecting and congratulating)."""

import pandas as pd
import pytest

from mauqif.annotate.mentions import MentionFinder
from mauqif.annotate.schema import load_schema
from mauqif.model.features import TopicCues, pair_frame, views

SCHEMA = load_schema()


@pytest.fixture(scope="module")
def finder():
    return MentionFinder(SCHEMA)


def cues_of(text, party, finder, context=""):
    frame = pd.DataFrame({"text": [text], "context": [context], "mentions": [finder.find(text)]})
    pairs = pair_frame(views(frame, finder), SCHEMA.party_ids, topic=TopicCues.of(SCHEMA.topic))
    return set(pairs.set_index("party").loc[party, "cues"].split())


def test_a_party_that_speaks_in_the_perfect_or_future_tense_is_a_speaker(finder):
    perfect = cues_of("روس پہلے ہی کہہ چکا ہے کہ وہ شراکت جاری رکھے گا۔", "russia", finder)
    future = cues_of("جاپان اس معاملے پر سخت انتباہ جاری کرے گا۔", "japan", finder)
    assert "nominative_speaker" in perfect and "speaker_on_topic" in perfect
    assert "nominative_speaker" in future and "speaker_condemn" in future


def test_a_party_marked_as_object_or_place_is_no_nominative_speaker(finder):
    object_ = cues_of("امریکا نے روس پر الزام لگایا کہ وہ اسلحہ خرید رہا ہے۔", "russia", finder)
    place = cues_of("ماسکو میں اعلان کیا گیا کہ اجلاس ملتوی ہو گیا۔", "russia", finder)
    assert "nominative_speaker" not in object_
    assert "nominative_speaker" not in place


def test_a_headline_naming_its_speaker_after_a_colon_or_comma(finder):
    colon = cues_of("ہم اپنے دوست کے ساتھ کھڑے رہیں گے: شمالی کوریا", "north_korea", finder)
    comma = cues_of("تعاون خطے کے لیے خطرہ ہے، جاپانی وزیر اعظم", "japan", finder)
    assert "tail_speaker" in colon and "speaker_support" in colon
    assert "tail_speaker" in comma and "speaker_condemn" in comma


def test_a_dateline_before_a_colon_is_no_headline_speaker(finder):
    dateline = cues_of(
        "سیئول: جنوبی کوریا کی فوج نے آج صبح مشقیں شروع کر دیں۔", "south_korea", finder
    )
    assert "tail_speaker" not in dateline


def test_a_bare_claim_and_an_accusation_that_judges_are_told_apart(finder):
    bare = cues_of(
        "جنوبی کوریا نے دعویٰ کیا کہ پیانگ یانگ نے مزید گولے بھیجے ہیں۔", "south_korea", finder
    )
    judging = cues_of(
        "جنوبی کوریا نے الزام لگایا کہ یہ ترسیل پابندیوں کی کھلی خلاف ورزی ہے۔",
        "south_korea",
        finder,
    )
    assert "speaker_claim_plain" in bare and "speaker_claim_judging" not in bare
    assert "speaker_claim_judging" in judging


def test_an_expected_position_is_the_partys_position(finder):
    cues = cues_of("توقع ہے کہ جاپانی وزیر خارجہ اس معاہدے پر تشویش ظاہر کریں گے۔", "japan", finder)
    assert "speaker_expected" in cues and "speaker_condemn" in cues


def test_a_report_only_rejected_by_another_party_is_not_a_source(finder):
    text = "روسی وزارت خارجہ نے جنوبی کوریا کی اس رپورٹ کو بے بنیاد قرار دیا۔"
    rejected = cues_of(text, "south_korea", finder)
    rejecting = cues_of(text, "russia", finder)
    assert "report_rejected" in rejected and "speaker_support" not in rejected
    assert "report_rejected" not in rejecting and "kw_source" in rejecting


def test_declining_to_comment_answering_a_question_and_congratulating_are_marked(finder):
    declined = cues_of(
        "کریملن کے ترجمان نے اس سوال پر تبصرہ کرنے سے انکار کر دیا۔", "russia", finder
    )
    congratulates = cues_of(
        "شمالی کوریا کے رہنما نے روسی صدر کو انتخاب میں کامیابی پر مبارکباد دی۔",
        "north_korea",
        finder,
    )
    assert {"speaker_declines", "speaker_question"} <= declined
    assert "speaker_congratulates" in congratulates


def test_with_and_ready_alone_take_no_side(finder):
    # "کے ساتھ" (with) and "تیار" (ready) in a plain report of a meeting.
    cues = cues_of(
        "روسی وزیر دفاع نے بتایا کہ وفد شمالی کوریا کے ساتھ بات چیت کے لیے تیار ہے۔",
        "russia",
        finder,
    )
    assert "speaker_plain" in cues and "speaker_support" not in cues


def test_a_topic_party_speaking_of_a_third_party_is_told_from_one_speaking_of_its_partner(
    finder,
):
    third = cues_of("روسی صدر نے کہا کہ جاپان کے ساتھ امن معاہدہ جلد ممکن نہیں۔", "russia", finder)
    partner = cues_of(
        "روسی صدر نے کہا کہ شمالی کوریا کے ساتھ معاہدہ دونوں کے مفاد میں ہے۔", "russia", finder
    )
    alone = cues_of(
        "کم جونگ ان نے کہا کہ جزیرہ نما میں امن امریکا پر منحصر ہے۔", "north_korea", finder
    )
    assert "speaker_third_party" in third and "speaker_partner" not in third
    assert "speaker_partner" in partner
    assert "speaker_no_partner" in alone


def test_rejecting_accusations_is_marked_and_rejecting_a_proposal_is_not(finder):
    claims = cues_of("روس نے مغربی ممالک کے الزامات کو مسترد کر دیا۔", "russia", finder)
    proposal = cues_of("جاپان نے روس کی تجویز کو مسترد کر دیا۔", "japan", finder)
    assert "speaker_rejects_claims" in claims
    assert "speaker_rejects_claims" not in proposal and "speaker_support" not in proposal


def test_a_writers_note_is_background_not_the_context_speakers_statement(finder):
    context = "جاپان کی وزارت خارجہ نے کہا کہ وہ صورتحال کا جائزہ لے رہی ہے۔"
    note = cues_of(
        "یاد رہے کہ دونوں ملکوں نے پچھلے سال ایک معاہدہ کیا تھا۔", "japan", finder, context
    )
    plain = cues_of("دونوں ملکوں نے پچھلے سال ایک معاہدہ کیا تھا۔", "japan", finder, context)
    assert "background_context_only" in note
    assert not {"background", "background_context_only"} & plain


def test_a_sentence_with_its_own_speaker_does_not_continue_the_context_speaker(finder):
    context = "جنوبی کوریا کی وزارت دفاع نے کہا کہ نئی ترسیل کا جائزہ لیا جا رہا ہے۔"
    other = cues_of("ایک امریکی عہدیدار نے کہا کہ ترسیل جاری ہے۔", "south_korea", finder, context)
    attributed = cues_of("ماہرین کے مطابق ترسیل جاری ہے۔", "south_korea", finder, context)
    continued = cues_of("نئی ترسیل پچھلے مہینے شروع ہوئی تھی۔", "south_korea", finder, context)
    pronoun = cues_of("انہوں نے کہا کہ ترسیل جاری ہے۔", "south_korea", finder, context)
    assert "own_speaker_context_only" in other and "own_speaker_context_only" in attributed
    assert "own_speaker_context_only" not in continued
    assert "own_speaker_context_only" not in pronoun  # the pronoun is the context's speaker


def test_both_sides_speaking_stand_for_the_parties_the_context_names(finder):
    context = "روسی صدر اور شمالی کوریا کے رہنما کے درمیان ملاقات ہوئی۔"
    agreed = "فریقین نے فوجی تعاون بڑھانے پر اتفاق کیا۔"
    present = "دونوں ممالک اس معاہدے کی تفصیلات سے انکار کرتے ہیں۔"
    between = "دونوں ممالک کے درمیان تجارت میں اضافہ ہوا۔"
    for party in ("russia", "north_korea"):
        assert "both_speak" in cues_of(agreed, party, finder, context)
        assert "speaker_support" in cues_of(agreed, party, finder, context)
        assert "both_speak" in cues_of(present, party, finder, context)
        assert "both_speak" not in cues_of(between, party, finder, context)
    # a party the context does not name is not one of "both sides"
    assert "both_speak" not in cues_of(agreed, "japan", finder, "جاپان نے بیان جاری کیا۔")


def test_a_party_speaks_through_what_it_owns_however_long_its_title(finder):
    agency = cues_of(
        "جنوبی کوریا کی سرکاری خبر رساں ایجنسی کے مطابق مشقیں کل ہوں گی۔", "south_korea", finder
    )
    ministry = cues_of(
        "جاپان کی وزارت دفاع کے اعلی حکام کا کہنا ہے کہ پرواز معمول کی تھی۔", "japan", finder
    )
    place = cues_of("روس کے مشرقی شہر میں کل ایک اجلاس ہوا۔", "russia", finder)
    assert "kw_source" in agency and "kw_source" in ministry
    assert "kw_source" not in place


def test_a_partys_private_media_speak_for_themselves_and_its_state_media_for_it(finder):
    private = cues_of(
        "جنوبی کوریا کے نشریاتی ادارے نے دعویٰ کیا کہ قافلہ روانہ ہو گیا ہے۔", "south_korea", finder
    )
    paper = cues_of("جاپانی اخبار کے مطابق وفد کل پہنچے گا۔", "japan", finder)
    state = cues_of("روسی سرکاری میڈیا کا کہنا ہے کہ ملاقات کامیاب رہی۔", "russia", finder)
    assert "kw_source" not in private and "kw_source" not in paper
    assert "kw_source" in state


def test_korean_as_an_english_adjective_names_its_korea(finder):
    found = finder.find("شمالی کورین میڈیا اور جنوبی کورین حکام نے بیان دیا۔")
    assert [m["party"] for m in found] == ["north_korea", "south_korea"]


def sentiment_cues_of(text, finder):
    from mauqif.model.features import sentence_frame

    frame = pd.DataFrame({"text": [text], "context": [""], "mentions": [finder.find(text)]})
    return sentence_frame(views(frame, finder))["sentiment_cues"].iloc[0].split()


def test_arms_sent_in_a_war_are_a_transfer_and_a_judged_transfer_is_not_plain(finder):
    # GUIDELINES, sentiment: troops or arms sent are neutral even when the sentence names the war
    plain = sentiment_cues_of("شمالی کوریا نے جنگ میں روس کو مزید گولے بھیجے ہیں۔", finder)
    judged = sentiment_cues_of("روس کو گولوں کی ترسیل خطے کے لیے خطرہ ہے۔", finder)
    war = sentiment_cues_of("روس اور یوکرین کی جنگ میں شدید لڑائی جاری ہے۔", finder)
    assert "transfer_plain" in plain and "neg0" in plain
    assert "transfer" in judged and "transfer_plain" not in judged and "neg0" not in judged
    assert "transfer" not in war and "transfer_plain" not in war and "neg0" not in war


def test_arms_fired_or_tested_are_negative_but_arms_sent_are_not(finder):
    # GUIDELINES, sentiment: an attack or a threat is negative, a transfer is neutral
    tested = sentiment_cues_of("شمالی کوریا نے سمندر کی طرف دو میزائل داغے۔", finder)
    sent = sentiment_cues_of("شمالی کوریا نے روس کو مزید میزائل بھیجے۔", finder)
    assert "arms_used" in tested and "neg1" in tested and "more_neg" in tested
    assert "arms_used" not in sent and "neg0" in sent


def test_a_negated_good_word_counts_as_negative(finder):
    # "cannot accept the plan", "no progress": a refusal or a failure, not a success
    refused = sentiment_cues_of("جاپان اس منصوبے پر اتفاق نہیں کر سکتا۔", finder)
    agreed = sentiment_cues_of("جاپان نے اس منصوبے پر اتفاق کیا۔", finder)
    assert "pos0" in refused and "neg1" in refused and "more_neg" in refused
    assert "pos1" in agreed and "neg0" in agreed and "more_pos" in agreed
    # a negation further on belongs to another clause
    far = sentiment_cues_of(
        "دونوں ممالک نے اتفاق کیا اور کہا کہ کسی کو پریشان ہونے کی ضرورت نہیں۔", finder
    )
    assert "pos1" in far and "neg0" in far


def test_a_pronoun_speaks_for_the_contexts_subject_when_nobody_spoke_there(finder):
    context = "جنوبی کوریا کے وزیر دفاع نے پارلیمان میں رپورٹ پیش کی۔"
    spoke = "جاپان نے کہا کہ شمالی کوریا نے مزید گولے بھیجے ہیں۔"
    pronoun = "انہوں نے کہا کہ قیمتوں میں استحکام آیا ہے۔"
    subject = cues_of(pronoun, "south_korea", finder, context)
    assert "pronoun_context_source" in subject and "speaker_plain" in subject
    # where a party spoke in the context, the pronoun is that speaker's, not the doer's
    assert "pronoun_context_source" in cues_of(pronoun, "japan", finder, spoke)
    assert "pronoun_context_source" not in cues_of(pronoun, "north_korea", finder, spoke)


def test_a_reporting_verb_glued_to_the_next_word_still_reports(finder):
    from mauqif.model.features import tokenize

    glued = cues_of("جاپانی وزیر خارجہ نے کہاکہ مذاکرات جاری رہیں گے۔", "japan", finder)
    assert "kw_source" in glued and "ergative_no_report" not in glued
    # only a listed verb and a word that follows verbs: other words stay whole
    assert tokenize("ترکی میں دھماکہ ہوا اور اس نے کہاتھا", [])[1] == (
        "ترکی", "میں", "دھماکہ", "ہوا", "اور", "اس", "نے", "کہا", "تھا",
    )  # fmt: skip


def test_a_threat_to_respond_to_the_partners_is_told_by_its_condition(finder):
    # GUIDELINES: `against` includes threatening to respond to the cooperation
    threat = (
        "جاپان نے کہا کہ اگر ماسکو اور پیانگ یانگ کا فوجی تعاون بڑھا تو وہ پابندیاں سخت کرے گا۔"
    )
    bare = "جنوبی کوریا کا کہنا ہے کہ شمالی کوریا اور روس فوجی تعلقات بڑھاتے ہیں تو وہ جواب دے گا۔"
    assert "speaker_threatens_response" in cues_of(threat, "japan", finder)
    assert "speaker_threatens_response" in cues_of(bare, "south_korea", finder)
    assert "conditional_threat" in sentiment_cues_of(threat, finder)
    # a condition that names only one partner (a missile test) is no response to the cooperation
    missile = "جاپان نے کہا کہ اگر شمالی کوریا نے میزائل داغا تو وہ جواب دے گا۔"
    assert "speaker_threatens_response" not in cues_of(missile, "japan", finder)
    # a partner's own pledge is no threat against it, and a past tense is no condition
    pledge = "روس نے کہا کہ اگر شمالی کوریا پر حملہ ہوا تو وہ اس کا دفاع کرے گا۔"
    assert "speaker_threatens_response" not in cues_of(pledge, "russia", finder)
    past = "جاپان نے کہا کہ روس اور شمالی کوریا نے معاہدہ کیا تو تشویش ہوئی۔"
    assert "speaker_threatens_response" not in cues_of(past, "japan", finder)

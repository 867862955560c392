"""Writes tests/fixtures/tokenizers/: two small tokenizer.json files in the layouts the models
ship, trained with the `tokenizers` library, and the ids it gives for a corpus of 600 strings
(ASCII, accents, CJK, emoji, digits, whitespace runs, special tokens):
  - english.json: Chatterbox's EnTokenizer layout: BPE, Whitespace pre-tokenizer, [UNK], no
    normalizer or post-processor, added tokens [STOP]=0 [UNK]=1 [SPACE]=2 [START] ... ;
    encoded after text.replace(' ', '[SPACE]') as EnTokenizer.encode does;
  - llama3.json: the Llama-3 layout Higgs ships: byte-level BPE, Split(Llama-3 regex) +
    ByteLevel(use_regex=false), ignore_merges, <|begin_of_text|> added by TemplateProcessing.

    python tools/parity/tokenizers_tiny.py OUT_DIR
"""
import json
import random
import sys
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
random.seed(5)

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

training = [
    "The quick brown fox jumps over the lazy dog.", "Hello there, how are you doing today?",
    "I'd say it's 42 degrees; we'll see what they've got.", "Zwölf Boxkämpfer jagen Viktor quer über den Sylter Deich.",
    "Voix ambiguë d'un cœur qui au zéphyr préfère les jattes de kiwis.", "El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia.",
    "今日は良い天気ですね。", "我们今天去公园散步吧。", "안녕하세요, 만나서 반갑습니다.", "Numbers 1234567890 and 3.14159 and 1,000,000.",
    "Emoji 😀🎉👍 and symbols @#$%^&*()", "Tabs\tand\nnewlines\r\nand   spaces.", "Shouting! Questions? Ellipses... Dashes - and — em.",
] * 20

corpus_parts = [
    "hello", "world", "The", "speech", "synthesis", "model", "I'm", "you're", "they'll", "it's", "don't",
    "café", "naïve", "über", "Ångström", "façade", "piñata", "東京", "北京", "こんにちは", "世界", "한국어",
    "😀", "🎉", "👩‍💻", "🇫🇷", "123", "4567", "3.5", "1,000", "2024", "0.001",
    "  ", "\t", "\n", "\r\n", "   ", "!", "?", "...", "—", "–", "\"quoted\"", "'single'", "(paren)",
    "[SPACE]", "[UNK]", "[laughter]", "<|begin_of_text|>", "<|eot_id|>", "<|audio_out_bos|>",
    "ÀÉÎÕÜ", "ß", "Ω", "∑", "→", "½", "™", "\u00a0", "e\u0301", "A_B", "snake_case", "x-ray",
]


def random_string():
    n = random.randint(1, 8)
    parts = [random.choice(corpus_parts) for _ in range(n)]
    seps = [random.choice([" ", "", "  ", ", ", "\n", " - "]) for _ in range(n)]
    return "".join(p + s for p, s in zip(parts, seps)).rstrip(" ") or "a"


corpus = [random_string() for _ in range(560)] + [
    "", " ", "a", "A", "   leading", "trailing   ", "multi\n\nline\n", "x" * 300, "1234567890123",
    "'S 'T 'RE 'VE 'M 'LL 'D", "Hello,World!How?", "emoji😀inside", "數字123中文", "tab\tsep\tvalues",
    "[SPACE][SPACE]", "[START]text[STOP]", "<|begin_of_text|>Hi<|end_of_text|>", "  \n  \n", "\u3000full width",
    "Ünïcödé", "ﬁ ligature", "😀😀😀", "a.b.c", "$100.00", "C++ & C#", "http://example.com/path?q=1",
    "can't won't shan't", "ROCK'N'ROLL", "naïve café", "don’t (curly)", "I\u2019ll", "end.", "—dash—",
    "   ", "\r", "\r\n\r\n", "ending with space ", "日本語のテキスト", "Привет мир", "Γειά σου", "مرحبا",
]

# --- English (Chatterbox EnTokenizer layout)
specials = ["[STOP]", "[UNK]", "[SPACE]"] + [f"[PH{i}]" for i in range(3, 255)] + ["[START]"]
en = Tokenizer(models.BPE(unk_token="[UNK]", fuse_unk=False))
en.pre_tokenizer = pre_tokenizers.Whitespace()
trainer = trainers.BpeTrainer(vocab_size=704, special_tokens=specials, min_frequency=2,
                              limit_alphabet=120, initial_alphabet=[])
en.train_from_iterator([t.replace(" ", "[SPACE]") for t in training], trainer)
en.add_special_tokens([AddedToken(t, special=True) for t in ["[UH]", "[UM]", "[giggle]", "[laughter]", "[cough]"]])
en.save(str(out / "english.json"))
en_ids = [en.encode(t.replace(" ", "[SPACE]")).ids for t in corpus]

# --- Llama-3 layout
ll = Tokenizer(models.BPE(ignore_merges=True))
ll.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
])
ll.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=700, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                              special_tokens=["<|begin_of_text|>", "<|end_of_text|>"], min_frequency=2)
ll.train_from_iterator(training, trainer)
ll.add_special_tokens([AddedToken(t, special=True) for t in ["<|eot_id|>", "<|audio_out_bos|>", "<|AUDIO_OUT|>"]])
bos = ll.token_to_id("<|begin_of_text|>")
ll.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                                  special_tokens=[("<|begin_of_text|>", bos)])
ll.save(str(out / "llama3.json"))
ll_ids = [ll.encode(t).ids for t in corpus]
ll_ids_plain = [ll.encode(t, add_special_tokens=False).ids for t in corpus]

(out / "corpus.json").write_text(json.dumps({
    "texts": corpus, "english_ids": en_ids, "llama3_ids": ll_ids, "llama3_ids_no_special": ll_ids_plain,
}, ensure_ascii=False, indent=0))
print("wrote", out, len(corpus), "strings")

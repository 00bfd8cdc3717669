"""The segmentation of Chinese (and Latin) text into words, shared by the triage classifier, the
knowledge base's word index (decision 0017) and the work orders' word index (decision 0022):
one segmenter, so that what is indexed and what is searched for are cut alike.

rjieba (jieba's Rust binding) with a small telecom lexicon, a private instance; nothing here
imports Django. Changing anything that changes tokenize()'s output changes the classifier's
TOKENIZER_SIGNATURE (a model trained with other tokens is refused) and calls for
`kefu reindex_orders` and a rebuild of the knowledge index.
"""

import re
import threading
import unicodedata
from typing import Any

# Telecom terms the default jieba dictionary splits or misses. Added to a private Jieba
# instance, never to rjieba's shared default one. Compounds that would hide a useful part
# (乱扣费 → 扣费, 改套餐 → 套餐, 没信号 → 信号) are deliberately left out.
LEXICON = (
    "断网", "无服务", "光猫", "工信部", "通管局", "流量包", "携号转网", "停机保号", "装维",
    "增值业务", "套外", "整栋楼", "销户", "复机", "宽带费", "月租费",
)

STOP_WORDS = frozenset(
    # Chinese function words, pronouns and fillers
    "的 地 得 了 是 我 在 也 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 这个 那个 "
    "这些 那些 这样 那样 这里 那里 吗 呢 吧 啊 呀 哦 嗯 哈 啦 么 之 其 等 您 你 他 她 它 这 那 "
    "自己 什么 怎么 一下 一些 有点 还是 但是 然后 因为 所以 如果 就是 还有 已经 请 麻烦 谢谢 "
    "我要 我想 向 从 给 跟 "
    # English
    "the a an is are was were be been am i me my we our you your he she it its they them their "
    "this that these those to of and or in on at for with from by as since so but if then "
    "do does did have has had will would can could please".split()
)

# Number tokens that mean something (regulator, consumer and operator hotlines, emergency
# numbers, "3·15" consumer day). Every other pure number (amounts, dates, counts, phone
# numbers) is dropped: its value says nothing about the kind of problem, and the unit next to
# it (元, 天, 兆, gb) is kept as a token of its own, so "多扣了20元" gives 多扣, 元.
KEEP_NUMBERS = frozenset(
    "12300 12315 12345 10086 10000 10010 10099 110 119 120 315".split()
)

_NUMBER = re.compile(r"^[\d.,:/%+\-]+$")
_LATIN_HYPHEN = re.compile(r"(?<=[a-z])[-_.](?=[a-z])")

_jieba = None
_jieba_lock = threading.Lock()


def _segmenter():
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import rjieba

                jieba = rjieba.Jieba()
                for word in LEXICON:
                    jieba.add_word(word, None, None)
                _jieba = jieba
    return _jieba


_WORD_CHAR = re.compile(r"[^\W_]")  # a letter (any script, CJK included) or a digit


def _is_noise(token: str) -> bool:
    """Whitespace, punctuation, symbols (emoji too) only."""
    return _WORD_CHAR.search(token) is None


def _normalize_token(token: str) -> str | None:
    """The token as the model sees it, or None to drop it."""
    token = token.strip().lower()
    if not token or _is_noise(token):
        return None
    if _NUMBER.match(token):
        return token if token in KEEP_NUMBERS else None
    if token.isascii():
        token = _LATIN_HYPHEN.sub("", token)
    return None if token in STOP_WORDS else token


# Full-width ASCII (ＬＯＳ, ５Ｇ, ，) and the ideographic space, the NFKC forms that matter here.
# Only these characters are normalised: NFKC over a whole text costs more than the rest of
# tokenize() together.
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]+")


def _half_width(match) -> str:
    return unicodedata.normalize("NFKC", match[0])


_normalized: dict[str, str | None] = {}  # raw jieba token -> _normalize_token(); bounded
_MISSING: Any = object()  # a sentinel no token is (Any: the cache's values are str or None)


def tokenize(text: str) -> list[str]:
    """Segment a text into the tokens the model sees.

    Full-width ASCII made half-width first (ＬＯＳ → LOS), then cut by jieba with a small telecom
    lexicon. Latin is lower-cased ("LOS" → "los", "5G" → "5g", "Wi-Fi" → "wifi"). Dropped:
    whitespace/punctuation/symbol-only tokens, the stop words above, and pure numbers other
    than the meaningful hotlines in KEEP_NUMBERS (12300, 10086, …). Digits glued to letters
    stay ("5g", "4k").
    """
    if not text:
        return []
    text = _FULL_WIDTH.sub(_half_width, text)
    cache = _normalized
    out: list[str] = []
    for raw in _segmenter().cut(text):
        token = cache.get(raw, _MISSING)
        if token is _MISSING:
            token = _normalize_token(raw)
            if len(cache) >= 100_000:
                cache.clear()
            cache[raw] = token
        if token is not None:
            out.append(token)
    return out


# Everything tokenize()'s output depends on but rjieba itself: the classifier signs its models
# with this (triage.classifier.TOKENIZER_SIGNATURE).
TOKEN_RULES = "\n".join([
    " ".join(LEXICON), " ".join(sorted(STOP_WORDS)), " ".join(sorted(KEEP_NUMBERS)),
    _NUMBER.pattern, _LATIN_HYPHEN.pattern, _WORD_CHAR.pattern, _FULL_WIDTH.pattern,
])

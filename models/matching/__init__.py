"""The live matching path: post text in, scored and explained narrative matches out.

`matcher.NarrativeMatcher` (built by `matcher.load_matcher`) embeds posts (`embedder`), scores
them against every active narrative densely (`dense_index`) and lexically (`lexical`), fuses the
two (`fusion`), optionally re-ranks the top candidates (`rerank`), then applies thresholds and
rules, classifies the stance (`stance`) and explains each match (`explain`). `query` cleans post
text before matching. `types` holds the `Matcher` / `MatchResult` Protocols the worker
relies on and the value types.

Importing this package is cheap: it loads the value types only, not the model.
"""

from models.matching.types import Candidate, Matcher, MatcherConfig, MatchResult, PostMatches

__all__ = ["Candidate", "MatchResult", "Matcher", "MatcherConfig", "PostMatches"]

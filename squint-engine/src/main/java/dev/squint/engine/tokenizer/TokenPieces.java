package dev.squint.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The decoded bytes of every token of a vocabulary, and the decoding both BPE flavours and SentencePiece
 * share: NORMAL tokens are their text as spelled by the tokenizer, USER_DEFINED tokens their text, BYTE
 * tokens ({@code <0xXX>}) one raw byte, CONTROL and UNKNOWN tokens nothing.
 */
final class TokenPieces {

    private final Vocabulary vocab;
    private final byte[][] pieces;

    /** @param normalBytes the bytes of a NORMAL token's text */
    TokenPieces(Vocabulary vocab, Function<String, byte[]> normalBytes) {
        this.vocab = vocab;
        this.pieces = new byte[vocab.size()][];
        for (int id = 0; id < vocab.size(); id++) {
            String text = vocab.text(id);
            pieces[id] = switch (vocab.type(id)) {
                case NORMAL -> normalBytes.apply(text);
                case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
                case BYTE -> new byte[] {(byte) SpmTokenizer.byteValue(text)};
                default -> new byte[0];
            };
        }
    }

    /**
     * Concatenates the pieces and reads them as UTF-8.
     *
     * @param stripLeadingSpace drop one leading space of the first non-empty piece (the space an encoder prefixed)
     */
    String decode(int[] ids, boolean stripLeadingSpace) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        boolean strip = stripLeadingSpace;
        for (int id : ids) {
            checkId(id);
            byte[] piece = pieces[id];
            if (piece.length == 0) continue;
            int from = strip && piece[0] == ' ' ? 1 : 0;
            bytes.write(piece, from, piece.length - from);
            strip = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** As {@link ModelTokenizer#piece}: a token's bytes, or with {@code special} a hidden token's text. */
    byte[] piece(int id, boolean special) {
        checkId(id);
        if (special && vocab.type(id).hiddenInOutput()) return vocab.text(id).getBytes(StandardCharsets.UTF_8);
        return pieces[id].clone();
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab.size());
    }
}

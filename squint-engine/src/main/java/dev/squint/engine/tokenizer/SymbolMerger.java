package dev.squint.engine.tokenizer;

import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * The merge loop BPE and SentencePiece share: a string's symbols start as its code points; the adjacent
 * pair with the best priority (lowest; ties: leftmost) is merged until no adjacent pair merges. The
 * tokenizers differ only in which pairs merge and with what priority ({@link PairPriority}).
 */
final class SymbolMerger {

    /** What {@link PairPriority} returns for a pair that does not merge: neither an int rank nor a float score. */
    static final double NO_MERGE = Double.MAX_VALUE;

    @FunctionalInterface
    interface PairPriority {
        /**
         * @return the priority of merging {@code s[from, mid)} with {@code s[mid, to)}, lower first, or
         *         {@link #NO_MERGE}
         */
        double of(String s, int from, int mid, int to);
    }

    private record Bigram(int left, int right, double priority, int length) {}

    private SymbolMerger() {}

    /** Merges the symbols of {@code s} and hands the final symbols, left to right, to {@code symbols}. */
    static void merge(String s, PairPriority priority, Consumer<String> symbols) {
        // Symbols are contiguous: symbol i spans s[start[i], start[i] + length[i]) (UTF-16 units);
        // prev/next chain the live symbols.
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            start[i] = pos;
            length[i] = Character.charCount(s.codePointAt(pos));
            pos += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.priority != b.priority ? Double.compare(a.priority, b.priority) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(s, start, length, i - 1, i, priority, queue);
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int l = bigram.left, r = bigram.right;
            // Stale entry: a side was merged away or grew (symbols only grow rightwards, so lengths tell).
            if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != bigram.length) continue;
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            offer(s, start, length, prev[l], l, priority, queue);
            offer(s, start, length, l, next[l], priority, queue);
        }
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) symbols.accept(s.substring(start[i], start[i] + length[i]));
    }

    private static void offer(String s, int[] start, int[] length, int left, int right, PairPriority priority,
                              PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        int from = start[left], mid = from + length[left], to = mid + length[right];
        double p = priority.of(s, from, mid, to);
        if (p != NO_MERGE) queue.add(new Bigram(left, right, p, to - from));
    }
}

package dev.squint.report;

/** Escaping for HTML and inline SVG: every string that came from a row, a note or the environment goes through here. */
final class Html {
    private Html() {}

    /** Element text: {@code & < >} escaped, control characters other than line breaks dropped. */
    static String text(String s) {
        return escape(s, false);
    }

    /** An attribute value in double quotes: also {@code " '} escaped, line breaks kept as spaces. */
    static String attr(String s) {
        return escape(s, true);
    }

    private static String escape(String s, boolean attribute) {
        if (s == null) return "";
        StringBuilder out = new StringBuilder(s.length() + 16);
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append(attribute ? "&quot;" : "\"");
                case '\'' -> out.append(attribute ? "&#39;" : "'");
                case '\n', '\r', '\t' -> out.append(' ');
                default -> {
                    if (!Character.isISOControl(cp)) out.appendCodePoint(cp);
                }
            }
        });
        return out.toString();
    }
}

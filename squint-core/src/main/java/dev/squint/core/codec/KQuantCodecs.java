package dev.squint.core.codec;

import java.util.List;

/** The codecs of one family of types; filled in as the family's codecs land. */
final class KQuantCodecs {
    private KQuantCodecs() {}

    static List<BlockCodec> all() {
        return List.of();
    }
}

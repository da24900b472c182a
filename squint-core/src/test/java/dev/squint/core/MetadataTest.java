package dev.squint.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataTest {
    @Test
    void typedAccessorsReadWhatWasPutAndNothingElse() {
        Metadata m = Metadata.builder()
                .putString("general.architecture", "llama")
                .putU32("llama.block_count", 5)
                .put("big", new MetaValue.U64(-1L))
                .putF32("eps", 1e-5f)
                .put("tokens", new MetaValue.Array(MetaValue.Kind.STRING, List.of(MetaValue.Str.of("a"), MetaValue.Str.of("b"))))
                .put("scores", new MetaValue.Array(MetaValue.Kind.FLOAT32, List.of(new MetaValue.F32(1.5f))))
                .build();
        assertThat(m.string("general.architecture")).contains("llama");
        assertThat(m.integer("llama.block_count")).contains(5L);
        assertThat(m.integer("general.architecture")).isEmpty();
        assertThat(m.number("eps").orElseThrow()).isCloseTo(1e-5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(m.number("big").orElseThrow()).isEqualTo(Math.pow(2, 64) - 1);
        assertThat(m.strings("tokens").orElseThrow()).containsExactly("a", "b");
        assertThat(m.floats("scores").orElseThrow()).containsExactly(1.5f);
        assertThat(m.floats("tokens")).isEmpty();
        assertThat(m.keys()).containsExactly("general.architecture", "llama.block_count", "big", "eps", "tokens", "scores");
    }

    @Test
    void arraysCheckTheirElementKindAndRenderAbbreviated() {
        assertThatThrownBy(() -> new MetaValue.Array(MetaValue.Kind.INT32, List.of(new MetaValue.F32(1))))
                .isInstanceOf(IllegalArgumentException.class);
        List<MetaValue> many = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) many.add(new MetaValue.I32(i));
        String r = new MetaValue.Array(MetaValue.Kind.INT32, many).render(3);
        assertThat(r).isEqualTo("[0, 1, 2, ... (100 int32s)]");
        var nested = new MetaValue.Array(MetaValue.Kind.ARRAY, List.of(new MetaValue.Array(MetaValue.Kind.INT32, List.of(new MetaValue.I32(7)))));
        assertThat(nested.render(8)).isEqualTo("[[7]]");
    }

    @Test
    void stringsKeepTheirBytesEvenWhenNotUtf8() {
        byte[] raw = {(byte) 0xE2, (byte) 0x96};
        MetaValue.Str s = new MetaValue.Str(raw);
        assertThat(s.bytes()).containsExactly(raw);
        assertThat(s).isEqualTo(new MetaValue.Str(raw.clone()));
    }
}

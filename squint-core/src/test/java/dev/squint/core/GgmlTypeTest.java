package dev.squint.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgmlTypeTest {

    @Test
    void ordinalsAreTheGgufTypeIdsOfGgmlH() {
        // ids from ggml.h's enum ggml_type
        assertThat(GgmlType.F32.id()).isZero();
        assertThat(GgmlType.Q4_0.id()).isEqualTo(2);
        assertThat(GgmlType.Q8_0.id()).isEqualTo(8);
        assertThat(GgmlType.Q2_K.id()).isEqualTo(10);
        assertThat(GgmlType.Q8_K.id()).isEqualTo(15);
        assertThat(GgmlType.IQ4_NL.id()).isEqualTo(20);
        assertThat(GgmlType.IQ4_XS.id()).isEqualTo(23);
        assertThat(GgmlType.F64.id()).isEqualTo(28);
        assertThat(GgmlType.IQ1_M.id()).isEqualTo(29);
        assertThat(GgmlType.BF16.id()).isEqualTo(30);
        assertThat(GgmlType.TQ1_0.id()).isEqualTo(34);
        assertThat(GgmlType.TQ2_0.id()).isEqualTo(35);
        assertThat(GgmlType.MXFP4.id()).isEqualTo(39);
    }

    @Test
    void blockSizesAndBytesMatchGgmlsBlockStructs() {
        assertThat(GgmlType.Q4_0.bitsPerElement()).isEqualTo(4.5);
        assertThat(GgmlType.Q8_0.bitsPerElement()).isEqualTo(8.5);
        assertThat(GgmlType.Q4_K.bitsPerElement()).isEqualTo(4.5);
        assertThat(GgmlType.Q6_K.bitsPerElement()).isEqualTo(6.5625);
        assertThat(GgmlType.Q2_K.bitsPerElement()).isEqualTo(2.625);
        assertThat(GgmlType.IQ2_XXS.bitsPerElement()).isEqualTo(2.0625);
        assertThat(GgmlType.IQ1_S.bitsPerElement()).isEqualTo(1.5625);
        assertThat(GgmlType.TQ1_0.bitsPerElement()).isEqualTo(1.6875);
    }

    @Test
    void retiredIdsAreRefused() {
        assertThat(GgmlType.fromId(4)).isEmpty();
        assertThat(GgmlType.fromId(31)).isEmpty();
        assertThat(GgmlType.fromId(40)).isEmpty();
        assertThat(GgmlType.fromId(-1)).isEmpty();
        assertThat(GgmlType.fromId(12)).contains(GgmlType.Q4_K);
    }

    @Test
    void scalarGgmlTypesMapToCanonicalScalarTypesAndBack() {
        assertThat(GgmlType.F16.toDType()).isEqualTo(ScalarType.F16);
        assertThat(GgmlType.Q4_K.toDType()).isEqualTo(GgmlType.Q4_K);
        assertThat(GgmlType.of(ScalarType.BF16)).contains(GgmlType.BF16);
        assertThat(GgmlType.of(ScalarType.U8)).isEmpty();
        for (ScalarType s : ScalarType.values()) {
            if (s.ggmlId() >= 0) assertThat(GgmlType.fromId(s.ggmlId()).orElseThrow().toDType()).isEqualTo(s);
        }
    }

    @Test
    void byteSizesRequireWholeBlocks() {
        assertThat(GgmlType.Q4_0.bytesFor(64)).isEqualTo(36);
        assertThatThrownBy(() -> GgmlType.Q4_0.bytesFor(33)).isInstanceOf(ArithmeticException.class);
        assertThat(ScalarType.I4.bytesFor(3)).isEqualTo(2); // ONNX pads the last nibble
        assertThatThrownBy(() -> ScalarType.F64.bytesFor(Long.MAX_VALUE / 4)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void namesLookUpCaseInsensitively() {
        assertThat(GgmlType.fromName("q5_k")).contains(GgmlType.Q5_K);
        assertThat(GgmlType.fromName("retired_q4_2")).isEmpty();
        assertThat(ScalarType.fromSafetensors("F8_E4M3")).contains(ScalarType.F8_E4M3FN);
        assertThat(ScalarType.fromOnnx(16)).contains(ScalarType.BF16);
    }
}
